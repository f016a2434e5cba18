import { expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import type { ServeHandle } from './serve.ts';

/** Opens the printed URL and signs in as the local administrator (local mode). */
export async function signInLocally(page: Page, serve: ServeHandle): Promise<void> {
  await page.goto(serve.url);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Strongroom' })).toBeVisible();
  await page.getByLabel('Local administrator passphrase').fill(serve.adminPassphrase);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${serve.origin}/system`);
  await expect(page.getByTestId('user-menu')).toContainText('Local administrator');
}
