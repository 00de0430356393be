declare module 'elfy' {
  const elfy: { parse(buffer: Buffer): unknown };
  export default elfy;
}
