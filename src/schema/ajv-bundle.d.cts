// Types of ajv-bundle.cjs.
import type { default as Ajv, ValidateFunction } from "ajv";

export declare const ajvClass: (draft2020: boolean) => typeof Ajv;
export declare const addFormats: (ajv: Ajv) => Ajv;
export declare const standaloneCode: (ajv: Ajv, what: ValidateFunction | Record<string, string>) => string;
export declare const metaValidator: (draft2020: boolean) => ValidateFunction;
