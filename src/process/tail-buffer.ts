// A text buffer that keeps only the last N characters, so a chatty step cannot exhaust memory.

export class TailBuffer {
  private chunks: string[] = [];
  private length = 0;

  constructor(private readonly maxChars: number) {}

  push(text: string): void {
    this.chunks.push(text);
    this.length += text.length;
    if (this.length > this.maxChars * 2) this.compact();
  }

  private compact(): void {
    const joined = this.chunks.join("");
    const kept = joined.slice(-this.maxChars);
    this.chunks = [kept];
    this.length = kept.length;
  }

  toString(): string {
    this.compact();
    return this.chunks[0] ?? "";
  }
}
