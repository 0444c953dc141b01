// A resolve hook for tfjs-core's ESM files (dist/*.js), whose imports name neither the ".js" extension nor
// the "index.js" of a folder, as bundlers allow and Node's ESM resolver does not. Used only to load
// dist/register_all_gradients.js, the gradient registrations that the CommonJS bundle leaves out.
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    const fixable = e?.code === "ERR_UNSUPPORTED_DIR_IMPORT" || e?.code === "ERR_MODULE_NOT_FOUND";
    if (!fixable || !specifier.startsWith(".") || !context.parentURL?.includes("/@tensorflow/")) throw e;
    for (const candidate of [`${specifier}.js`, `${specifier}/index.js`]) {
      try {
        return await next(candidate, context);
      } catch {
        // try the next form
      }
    }
    throw e;
  }
}
