declare module '@scalar/api-reference/browser/standalone.js' {
  /** A path usable with Bun.file (embedded in compiled binaries). */
  const path: string;
  export default path;
}
