// The CLI's version: the one Keel version.
export { VERSION } from "../version.js";
