import { Component } from 'react';
import type { ErrorInfo, ReactNode } from 'react';
import type { ApiError } from '../../../core/contracts/index.ts';
import { ApiCallError } from '../bridge/context.tsx';
import { ApiErrorView } from './ApiErrorView.tsx';

interface State {
  error: ApiError | null;
}

/**
 * Catches render errors below it. Typed API errors are shown with their code; anything else is
 * shown as an internal error without its stack (which may hold content).
 */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    if (error instanceof ApiCallError) return { error: error.apiError };
    return { error: { code: 'ERR_INTERNAL', message: 'This page failed to render. Reload the app; if it happens again, report the time to your administrator.' } };
  }

  override componentDidCatch(_error: unknown, _info: ErrorInfo): void {
    // Intentionally not logged to the console: errors can carry document content.
  }

  override componentDidUpdate(previous: { resetKey?: string }): void {
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override render(): ReactNode {
    if (this.state.error) return <ApiErrorView error={this.state.error} onRetry={() => this.setState({ error: null })} />;
    return this.props.children;
  }
}
