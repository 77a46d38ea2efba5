import { Component, type ErrorInfo, type ReactNode } from 'react';

/** A rendering bug must never leave a blank window: say what happened and offer a way back. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('Candor workspace error', error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="crash" role="alert" data-testid="crash">
        <h2>The workspace hit an internal error</h2>
        <p>{this.state.error.message}</p>
        <p>Your audit log is unaffected. Reopen the workspace; if the error repeats, note what you did and report it.</p>
        <button onClick={() => this.setState({ error: null })}>Reopen the workspace</button>
      </div>
    );
  }
}
