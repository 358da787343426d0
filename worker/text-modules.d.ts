// Non-JavaScript modules bundled by wrangler's `[[rules]]` (see wrangler.toml).
declare module "*.yml" {
  const text: string;
  export default text;
}
