// What the packaging checks share: the repository's root, the version each manifest states, and
// the Python tools set up by scripts/setup.sh.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const PY_TOOLS = join(process.env.PYWEBWORKER_CACHE || join(homedir(), ".cache/pywebworker"), "py-tools");
export const PYTHON = join(PY_TOOLS, "bin/python");

const read = (path) => readFileSync(join(ROOT, path), "utf8");

/** The version of the Python package (`pywebworker.__version__`), the one the others follow. */
export const VERSION = read("python/pywebworker/__init__.py").match(/^__version__ = "([^"]+)"$/m)[1];

/** The version of the Rust crate, from Cargo.toml's [package] table. */
export const crateVersion = () => read("Cargo.toml").match(/^\[package\][^[]*?^version = "([^"]+)"$/ms)[1];

/** Runs a command in the repository's root and returns what it printed (stdout and stderr). */
export function run(cmd, args, options = {}) {
  try {
    const out = execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options });
    return out;
  } catch (e) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${e.status}):\n${e.stdout}\n${e.stderr}`);
  }
}

/** The names of the files in a wheel (a zip) or an sdist (a .tar.gz), listed by Python. */
export function archiveNames(path) {
  const code = path.endsWith(".whl")
    ? "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))"
    : "import sys, tarfile; print('\\n'.join(tarfile.open(sys.argv[1]).getnames()))";
  return run(PYTHON, ["-c", code, path]).trim().split("\n");
}
