// check.mjs verifies a TUF repository written by trustroot's ceremony tool
// with tuf-js's metadata models (@tufjs/models), an implementation that
// shares no code with trustroot or go-tuf.
//
// Usage: node check.mjs --metadata DIR [--targets DIR] [--at RFC3339]
//
// It checks, in this order, and stops at the first failure (exit status 1,
// the reason on stderr):
//   - every N.root.json from 1 upwards, without gaps: version N, signed by a
//     threshold of its own root keys and (from 2 on) of version N-1's;
//   - the final root is not expired at --at (default: now);
//   - timestamp.json against the final root's timestamp role;
//   - the snapshot the timestamp names (length, hashes, version, signatures);
//   - the top-level targets and every delegated role the targets metadata
//     delegates to, each against the snapshot and its delegator's keys;
//   - every target file listed by any of those roles: length and hashes
//     (under consistent snapshots, the copy named after each listed hash).
// On success it prints one JSON object describing what it verified, which
// the Go test compares with what go-tuf's client saw.

import { Metadata, MetadataKind } from '@tufjs/models';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

const MAX_METADATA = 1 << 20; // bytes per metadata file
const MAX_ROOTS = 1024; // bound on the root chain length
const MAX_ROLES = 256; // bound on delegated roles visited

function fail(msg) {
  process.stderr.write(`tufjs-check: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { metadata: '', targets: '', at: new Date() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--metadata') opts.metadata = next();
    else if (a === '--targets') opts.targets = next();
    else if (a === '--at') {
      const v = next();
      opts.at = new Date(v);
      if (Number.isNaN(opts.at.getTime())) fail(`--at: not a time: ${v}`);
    } else fail(`unknown argument ${a}`);
  }
  if (!opts.metadata) fail('--metadata DIR is required');
  if (!opts.targets) opts.targets = join(opts.metadata, 'targets');
  return opts;
}

function readBounded(path, max) {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(`${path}: ${e.code || e.message}`);
  }
  if (!st.isFile()) throw new Error(`${path}: not a regular file`);
  if (st.size > max) throw new Error(`${path}: ${st.size} bytes, more than ${max}`);
  return readFileSync(path);
}

function load(kind, path) {
  const raw = readBounded(path, MAX_METADATA);
  let json;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new Error(`${path}: not JSON: ${e.message}`);
  }
  try {
    return { md: Metadata.fromJSON(kind, json), raw };
  } catch (e) {
    throw new Error(`${path}: not ${kind} metadata: ${e.message}`);
  }
}

// verify wraps verifyDelegate so that a failure names the files involved.
function verify(delegator, delegatorName, role, md, what) {
  try {
    delegator.verifyDelegate(role, md);
  } catch (e) {
    throw new Error(`${what}: not signed by a threshold of ${delegatorName}'s ${role} keys: ${e.message}`);
  }
}

function rootChain(dir) {
  const versions = readdirSync(dir)
    .map((f) => /^([1-9][0-9]*)\.root\.json$/.exec(f))
    .filter(Boolean)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (versions.length === 0) throw new Error(`${dir}: no N.root.json files`);
  if (versions.length > MAX_ROOTS) throw new Error(`${dir}: more than ${MAX_ROOTS} roots`);
  versions.forEach((v, i) => {
    if (v !== i + 1) throw new Error(`${dir}: root versions have a gap: expected ${i + 1}.root.json, found ${v}.root.json`);
  });
  const chain = [];
  let prev = null;
  for (const v of versions) {
    const name = `${v}.root.json`;
    const { md } = load(MetadataKind.Root, join(dir, name));
    if (md.signed.version !== v) throw new Error(`${name}: states version ${md.signed.version}`);
    verify(md, name, 'root', md, name);
    if (prev) verify(prev.md, prev.name, 'root', md, name);
    chain.push({ version: v, expires: md.signed.expires, root_keys: md.signed.roles.root.keyIDs.length, threshold: md.signed.roles.root.threshold });
    prev = { md, name };
  }
  return { chain, root: prev.md };
}

// metaName is the file name of a role's metadata under consistent snapshots.
function metaName(role, version, consistent) {
  const base = `${encodeURIComponent(role)}.json`;
  return consistent ? `${version}.${base}` : base;
}

function checkMeta(metaFile, raw, name) {
  try {
    metaFile.verify(raw);
  } catch (e) {
    throw new Error(`${name}: does not match its snapshot/timestamp entry: ${e.message}`);
  }
}

// checkTarget verifies a target file's length and hashes. Under consistent
// snapshots a client may fetch HASH.NAME for any hash listed, so every one
// of those files must be present and match.
async function checkTarget(targetsDir, tf, consistent) {
  const dir = posix.dirname(tf.path);
  const base = posix.basename(tf.path);
  if (tf.path.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new Error(`target ${tf.path}: unsafe path`);
  const names = consistent ? Object.values(tf.hashes).map((h) => `${h}.${base}`) : [base];
  for (const name of names) {
    const file = join(targetsDir, dir, name);
    if (!existsSync(file)) throw new Error(`target ${tf.path}: ${join(dir, name)} is missing from ${targetsDir}`);
    try {
      await tf.verify(createReadStream(file));
    } catch (e) {
      throw new Error(`target ${tf.path} (${join(dir, name)}): ${e.message}`);
    }
  }
  return { path: tf.path, length: tf.length, custom: tf.custom ?? null };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { chain, root } = rootChain(opts.metadata);
  const final = chain[chain.length - 1];
  if (root.signed.isExpired(opts.at)) throw new Error(`${final.version}.root.json: expired at ${root.signed.expires}`);
  const consistent = root.signed.consistentSnapshot;

  const ts = load(MetadataKind.Timestamp, join(opts.metadata, 'timestamp.json')).md;
  verify(root, `${final.version}.root.json`, 'timestamp', ts, 'timestamp.json');
  if (ts.signed.isExpired(opts.at)) throw new Error(`timestamp.json: expired at ${ts.signed.expires}`);

  const snapEntry = ts.signed.snapshotMeta;
  const snapName = metaName('snapshot', snapEntry.version, consistent);
  const snap = load(MetadataKind.Snapshot, join(opts.metadata, snapName));
  checkMeta(snapEntry, snap.raw, snapName);
  verify(root, `${final.version}.root.json`, 'snapshot', snap.md, snapName);
  if (snap.md.signed.version !== snapEntry.version) throw new Error(`${snapName}: version ${snap.md.signed.version}, timestamp says ${snapEntry.version}`);
  if (snap.md.signed.isExpired(opts.at)) throw new Error(`${snapName}: expired at ${snap.md.signed.expires}`);

  const loadRole = (role) => {
    const entry = snap.md.signed.meta[`${role}.json`];
    if (!entry) throw new Error(`${snapName}: no entry for ${role}.json`);
    const name = metaName(role, entry.version, consistent);
    const t = load(MetadataKind.Targets, join(opts.metadata, name));
    checkMeta(entry, t.raw, name);
    if (t.md.signed.version !== entry.version) throw new Error(`${name}: version ${t.md.signed.version}, snapshot says ${entry.version}`);
    if (t.md.signed.isExpired(opts.at)) throw new Error(`${name}: expired at ${t.md.signed.expires}`);
    return { md: t.md, name };
  };

  const top = loadRole('targets');
  verify(root, `${final.version}.root.json`, 'targets', top.md, top.name);

  // Visit the delegation tree breadth first; each role is checked against
  // the keys of the role that delegates to it.
  const roles = [];
  const targets = [];
  const seen = new Set(['targets']);
  const queue = [{ role: 'targets', ...top }];
  while (queue.length > 0) {
    const cur = queue.shift();
    roles.push({ role: cur.role, version: cur.md.signed.version });
    for (const tf of Object.values(cur.md.signed.targets)) {
      targets.push({ role: cur.role, ...(await checkTarget(opts.targets, tf, consistent)) });
    }
    const dels = cur.md.signed.delegations;
    for (const d of Object.values(dels?.roles ?? {})) {
      if (seen.has(d.name)) continue;
      if (seen.size >= MAX_ROLES) throw new Error(`more than ${MAX_ROLES} delegated roles`);
      seen.add(d.name);
      const child = loadRole(d.name);
      verify(cur.md, cur.name, d.name, child.md, child.name);
      for (const tf of Object.values(child.md.signed.targets)) {
        if (!d.isDelegatedPath(tf.path)) throw new Error(`${child.name}: target ${tf.path} is outside the paths ${cur.role} delegates to ${d.name}`);
      }
      queue.push({ role: d.name, ...child });
    }
  }
  targets.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const out = {
    verified: true,
    roots: chain,
    final_version: final.version,
    consistent_snapshot: consistent,
    timestamp_version: ts.signed.version,
    snapshot_version: snap.md.signed.version,
    roles,
    targets,
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch((e) => fail(e.message));
