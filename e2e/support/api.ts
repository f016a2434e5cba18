import type { Page } from '@playwright/test';

/** What `/api/<method>` answers: an ApiResult as JSON. */
export interface PageApiResult<T = Record<string, unknown>> {
  ok: boolean;
  value?: T;
  error?: { code: string; message: string };
}

/**
 * The API as the page itself calls it (launch token from this tab, session cookie from this
 * browser); `account`: the account id the page says it shows, as the app's bridge sends it.
 */
export async function callFromPage<T = Record<string, unknown>>(page: Page, method: string, input: unknown, options: { account?: string } = {}): Promise<PageApiResult<T>> {
  return page.evaluate(async ([name, body, account]) => {
    const response = await fetch(`/api/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionStorage.getItem('strongroom.token') ?? ''}`, ...(account ? { 'x-strongroom-account': account } : {}) },
      body: JSON.stringify(body),
    });
    return (await response.json()) as PageApiResult<T>;
  }, [method, input, options.account ?? ''] as const);
}

/** callFromPage for a call that must succeed: its value, or an error naming the method and the code. */
export async function valueFromPage<T>(page: Page, method: string, input: unknown): Promise<T> {
  const result = await callFromPage<T>(page, method, input);
  if (!result.ok) throw new Error(`${method} failed: ${result.error?.code} ${result.error?.message}`);
  return result.value as T;
}
