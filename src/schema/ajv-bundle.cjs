// What compiling a payload schema needs from Ajv, in one CommonJS module: the build bundles it with Ajv
// and ajv-formats into dist/ajv.cjs (one file loads in ~22 ms, Ajv's ~60 files from node_modules in ~50 ms).
// Each part is required on first use, so a draft-07 schema never runs the 2020-12 code, nor a run
// without the validator cache the standalone code generator.
"use strict";

/** Ajv's class for draft-07 schemas, or for 2020-12 ones. */
exports.ajvClass = (draft2020) => (draft2020 ? require("ajv/dist/2020") : require("ajv")).default;

exports.addFormats = (ajv) => require("ajv-formats").default(ajv);

exports.standaloneCode = (ajv, what) => require("ajv/dist/standalone").default(ajv, what);

/** The precompiled meta-schema check of a draft (codegen/meta-validators.mjs). */
exports.metaValidator = (draft2020) =>
  draft2020 ? require("./generated/meta-draft2020.cjs").validate : require("./generated/meta-draft07.cjs").validate;
