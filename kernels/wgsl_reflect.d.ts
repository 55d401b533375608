// wgsl_reflect 1.6's package entry is broken under ESM; the module build is imported directly
// and takes its types from the package's declarations.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect/types/index.js';
}
