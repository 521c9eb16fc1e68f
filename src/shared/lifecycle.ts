import type { Logger } from './logger.ts';

interface Resource {
  name: string;
  close: () => unknown;
}

/**
 * The process's resources in the order they were opened (store, outbox deliverer, jobs, HTTP server...),
 * closed in reverse: whatever was opened later may still use what came before it.
 */
export class Lifecycle {
  private readonly resources: Resource[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Opens a resource and puts its close on the list, once it is open. */
  async open<T>(name: string, open: () => T | Promise<T>, close: (resource: T) => unknown): Promise<T> {
    const resource = await open();
    this.add(name, () => close(resource));
    return resource;
  }

  /** Puts the close of a resource already open on the list. */
  add(name: string, close: () => unknown): void {
    if (this.closing) throw new Error(`${name} opened while closing`);
    this.resources.push({ name, close });
  }

  /** Closes every resource, last opened first; one failing close does not keep the others open. */
  closeAll(): Promise<void> {
    this.closing ??= this.closeInReverse();
    return this.closing;
  }

  private async closeInReverse(): Promise<void> {
    for (const { name, close } of [...this.resources].reverse()) {
      try {
        await close();
        this.logger.info('closed', { resource: name });
      } catch (error) {
        this.logger.error('close failed', {
          resource: name,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
}
