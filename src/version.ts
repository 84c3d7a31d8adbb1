// Keel's version, reported by the CLI, hello-ok and status (a test keeps it equal to package.json's).
export const VERSION = "0.1.0";
