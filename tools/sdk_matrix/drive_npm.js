// Run the matrix scenario with one @formance/formance-sdk release.
// Usage: node drive_npm.js SDK_MODULE_DIR SCENARIO_JSON (written by run.py); prints one JSON object.
// The API shape (sdk.orchestration or sdk.orchestration.v1, method names) is found at run time.
"use strict";
const fs = require("fs");
const path = require("path");

const moduleDir = process.argv[2];
const scenario = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const { SDK } = require(moduleDir);
const URL = scenario.url;
const results = [];

async function control(method, route, body) {
  const answer = await fetch(URL + route, {
    method,
    headers: { "content-type": "application/json" },
    body: body == null ? undefined : JSON.stringify(body),
  });
  if (!answer.ok) throw new Error(`control ${method} ${route}: ${answer.status} ${await answer.text()}`);
  const text = await answer.text();
  return text ? JSON.parse(text) : null;
}

async function callsSeen() {
  const stats = (await control("GET", "/_fake/calls/stats")).data;
  return stats.kept + stats.dropped;
}

async function lastCall() {
  const calls = (await control("GET", "/_fake/calls")).data;
  return calls[calls.length - 1] || {};
}

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

function methodOf(api, operation) {
  const names = (scenario.methods[operation] || [operation]).map(camel);
  for (const name of names) if (typeof api[name] === "function") return api[name].bind(api);
  return null;
}

function substitute(value) {
  if (typeof value === "string" && value.startsWith("$")) {
    const id = scenario.ids[value.slice(1)];
    if (id == null) throw Object.assign(new Error(`needs ${value.slice(1)}, which an earlier step did not give`), { blocked: true });
    return id;
  }
  if (Array.isArray(value)) return value.map(substitute);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
  }
  return value;
}

function jsArgs(operation, args) {
  if (args == null || operation === "createWorkflow") return args; // createWorkflow takes the body
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [scenario.jsKeys[k] || camel(k), v]));
}

function payload(answer) {
  for (const [key, value] of Object.entries(answer || {})) {
    if (!["statusCode", "contentType", "rawResponse", "httpMeta", "headers"].includes(key) && value != null) {
      return value;
    }
  }
  return null;
}

function readPath(answer, dotted) {
  let value = payload(answer);
  for (const part of dotted.split(".")) value = value == null ? undefined : value[part];
  if (value == null) throw new Error(`no ${dotted} in the answer ${JSON.stringify(answer).slice(0, 300)}`);
  return value;
}

function describe(error) {
  let message = typeof error.pretty === "function" ? error.pretty() : String(error.message);
  if (error.cause && error.cause.issues) message += "\n" + JSON.stringify(error.cause.issues);
  return { errorClass: error.constructor?.name || error.name, message: message.slice(0, 4000) };
}

function errorCode(error) {
  if (/Validation/.test(error.constructor?.name || error.name)) return null; // not decoded
  for (const holder of [error, error.data$, error.data]) {
    if (holder && holder.errorCode != null) return holder.errorCode;
  }
  return null;
}

async function step(api, spec) {
  const result = { step: spec.name, operation: spec.operation };
  const fn = methodOf(api, spec.operation);
  if (fn === null && spec.operation === "deleteWorkflow") return { ...result, skipped: true };
  const before = await callsSeen();
  try {
    if (fn === null) throw new Error(`the SDK has no method among ${scenario.methods[spec.operation]}`);
    const args = jsArgs(spec.operation, substitute(spec.args));
    const expect = spec.expectError;
    if (!expect) {
      const answer = args == null ? await fn() : await fn(args);
      const status = answer?.statusCode ?? answer?.httpMeta?.response?.status;
      if (status != null && (status < 200 || status >= 300)) throw new Error(`status ${status}`);
      for (const [key, dotted] of Object.entries(spec.save || {})) scenario.ids[key] = readPath(answer, dotted);
      result.ok = true;
    } else {
      try {
        await fn(args);
        throw new Error(`no error raised (expected ${expect.status} ${expect.errorCode})`);
      } catch (error) {
        if (/^no error raised/.test(error.message)) throw error;
        const wire = (await lastCall()).status;
        const code = errorCode(error);
        Object.assign(result, describe(error));
        result.ok = wire === expect.status && code === expect.errorCode;
        if (result.ok) result.note = `raised ${result.errorClass} ${wire} ${code}`;
      }
    }
  } catch (error) {
    Object.assign(result, { ok: false }, error.blocked ? { blocked: true, message: error.message } : describe(error));
  }
  for (const [method, route, body] of spec.after || []) await control(method, route, body);
  result.sent = (await callsSeen()) > before;
  if (scenario.proxy) result.rewrites = (await control("GET", "/_proxy/fired")).data;
  return result;
}

(async () => {
  for (const [method, route, body] of scenario.setup) await control(method, route, body);
  const client = new SDK({ serverURL: URL });
  const api = client.orchestration.v1 ?? client.orchestration;
  for (const spec of scenario.steps) results.push(await step(api, spec));
  const pkg = JSON.parse(fs.readFileSync(path.join(moduleDir, "package.json"), "utf8"));
  console.log(JSON.stringify({ sdk: pkg.name, version: pkg.version, results }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
