// esbuild's text loader turns imported .css files into strings (see build.mjs).
declare module "*.css" {
  const text: string;
  export default text;
}
