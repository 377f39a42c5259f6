#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// Validates Kubernetes objects against the Kubernetes API's OpenAPI schemas (v1.27.1), as
// compiled into validators by the npm package kubernetes-models (pinned in package.json and
// package-lock.json; scripts/install-deps.sh installs it here). Offline: no cluster, no network.
//
//   node tests/k8s/validate.js FILE.json   FILE: a JSON array of the manifest's documents
//
// Prints one line per schema violation ("DaemonSet xfr: /spec: must have required
// property selector") and exits 1; an apiVersion/kind without a schema is a violation too.
// Exits 0 with one line per document that passed.
"use strict";

const fs = require("fs");
const path = require("path");

const file = process.argv[2];
if (!file || process.argv.length !== 3) {
	console.error("usage: validate.js FILE.json");
	process.exit(2);
}
let docs;
try {
	docs = JSON.parse(fs.readFileSync(file, "utf8"));
} catch (e) {
	console.error(`validate.js: ${file}: ${e.message}`);
	process.exit(2);
}
if (!Array.isArray(docs)) {
	console.error(`validate.js: ${file}: not a JSON array of documents`);
	process.exit(2);
}

// "apps/v1" + "DaemonSet" -> kubernetes-models/apps/v1/DaemonSet; the core group is "v1".
function model(apiVersion, kind) {
	if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z]+$/.test(kind))
		return null;
	const rel = `${apiVersion}/${kind}`;
	if (rel.split("/").some((p) => p === "" || p === "." || p === ".."))
		return null;
	try {
		return require(path.posix.join("kubernetes-models", rel))[kind];
	} catch (e) {
		// Not a path the package exports, or no such file: no schema for that apiVersion/kind.
		if (e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED" || (e.code === "MODULE_NOT_FOUND" && e.message.includes(rel)))
			return null;
		throw e;
	}
}

let bad = 0;
for (const [i, d] of docs.entries()) {
	const name = `${(d && d.kind) || "document " + i} ${(d && d.metadata && d.metadata.name) || ""}`.trim();
	const M = d && typeof d === "object" ? model(d.apiVersion, d.kind) : null;
	if (!M) {
		console.log(`${name}: no schema for apiVersion ${JSON.stringify(d && d.apiVersion)} kind ${JSON.stringify(d && d.kind)}`);
		bad++;
		continue;
	}
	try {
		new M(d).validate();
		console.log(`${name}: valid ${d.apiVersion} ${d.kind}`);
	} catch (e) {
		if (!Array.isArray(e.errors))
			throw e;
		for (const err of e.errors) {
			const where = err.instancePath || "/";
			console.log(`${name}: ${where}: ${err.message}`);
		}
		bad++;
	}
}
process.exit(bad ? 1 : 0);
