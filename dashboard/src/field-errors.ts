// Routes a problem's errors[] (dotted field paths such as `endpoints.0.url`)
// to the form fields that show them; whatever no field claims is shown at the
// top of the form, so no message from the server is ever dropped.
import type { FieldError } from "./api-types.ts";

export class FieldErrors {
  private readonly claimed = new Set<FieldError>();

  constructor(private readonly errors: FieldError[]) {}

  /**
   * The message(s) for `field` and everything under it (`tags` claims `tags.2`)
   * that no earlier call claimed: ask for specific fields before their parents.
   */
  for(field: string): string | undefined {
    const mine = this.errors.filter(
      (error) => !this.claimed.has(error) && (error.field === field || error.field.startsWith(`${field}.`)),
    );
    for (const error of mine) this.claimed.add(error);
    if (mine.length === 0) return undefined;
    return mine.map((error) => error.message).join("; ");
  }

  /** Call after every field has asked: the errors no field showed. */
  unclaimed(): FieldError[] {
    return this.errors.filter((error) => !this.claimed.has(error));
  }
}
