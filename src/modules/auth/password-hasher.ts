export interface PasswordHashCost {
  memoryKib: number;
  timeCost: number;
}

/** argon2id through `Bun.password`, with a cost from config (cheap only in tests). */
export class PasswordHasher {
  /** Made at construction, so even the first unknown-email login costs one verify and no extra hash. */
  private readonly dummy: Promise<string>;

  constructor(private readonly cost: PasswordHashCost) {
    this.dummy = this.hash(crypto.randomUUID());
  }

  hash(password: string): Promise<string> {
    return Bun.password.hash(password, {
      algorithm: 'argon2id',
      memoryCost: this.cost.memoryKib,
      timeCost: this.cost.timeCost,
    });
  }

  /**
   * Verifies against the stored hash, or against a dummy hash of the same cost when there is no user,
   * so an unknown email costs the same time as a wrong password.
   */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    if (hash === undefined) {
      await Bun.password.verify(password, await this.dummy);
      return false;
    }
    try {
      return await Bun.password.verify(password, hash);
    } catch {
      return false;
    }
  }
}
