// POST /hooks/<name>: templates over the JSON body, HMAC signatures (GitHub's and a Stripe-style
// timestamped one) in place of the token, and an idempotency header that makes retries one run.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { bearer, hooksOn, post } from "./helpers.js";

const SECRET = "gh-secret";
type Msg = { role: string; content: string };

const lastUser = (messages: Msg[]) => messages[messages.length - 1]!.content;

const mappings = [
  {
    name: "mail",
    messageTemplate:
      "New mail from {{body.from.name}}: {{body.subject}} (tags {{body.tags}}, first {{body.items[0].id}})",
  },
  {
    name: "github",
    messageTemplate: "GitHub {{headers.x-github-event}} on {{body.repository.full_name}}",
    signature: { header: "X-Hub-Signature-256", secret: SECRET },
    idempotencyHeader: "X-GitHub-Delivery",
  },
  {
    name: "stripe",
    messageTemplate: "Stripe {{body.type}}",
    signature: { header: "Stripe-Signature", secret: "whsec", style: "timestamped", toleranceSeconds: 300 },
  },
  { name: "note", action: "wake", messageTemplate: "Note: {{body.text}}" },
];

const gh = (raw: string, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`;
const stripe = (raw: string, t: number, secret = "whsec") =>
  `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${raw}`).digest("hex")}`;

describe("hook mappings", () => {
  it("renders the message template over the JSON body and starts a run", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), { config: hooksOn({ mappings }) });
    const body = { from: { name: "Ada" }, subject: "Lunch?", tags: ["a", "b"], items: [{ id: 7 }] };
    const res = await post(gw.port, "/hooks/mail", body, bearer);
    expect(res).toMatchObject({ status: 202, body: { ok: true } });
    await eventually(() => gw.fake.requests.length === 1);
    const text = lastUser(gw.fake.requests[0]!.body.messages);
    expect(text).toContain('New mail from Ada: Lunch? (tags ["a","b"], first 7)');
    expect(text).toContain("(hook:mail)");
    // A mapping without a signature still wants the token; an unknown name is a 404 for a
    // caller with the token only.
    expect((await post(gw.port, "/hooks/mail", body)).status).toBe(401);
    expect((await post(gw.port, "/hooks/nope", body, bearer)).status).toBe(404);
    expect((await post(gw.port, "/hooks/nope", body)).status).toBe(401);
  });

  it("a wake mapping records its rendered text in the main session", async () => {
    await using gw = await gatewayWithFakeVendor([], { config: hooksOn({ mappings }) });
    const res = await post(gw.port, "/hooks/note", { text: "backup ok" }, bearer);
    expect(res).toMatchObject({ status: 200, body: { ok: true, sessionKey: "agent:main:main" } });
    const { store } = gw.handle.context;
    const entry = (await store.get("agent:main:main"))!;
    const page = await store.readHistory(entry.sessionId, { limit: 5 });
    expect(page.messages.map((m) => [m.role, m.content, m.meta?.["untrusted"]])).toEqual([
      ["system", "Note: backup ok", "hook:note"],
    ]);
  });

  it("GitHub's X-Hub-Signature-256 over the raw body authenticates without the token; a bad one is 401", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), { config: hooksOn({ mappings }) });
    const raw = JSON.stringify({ repository: { full_name: "acme/app" } });
    const headers = { "x-github-event": "push", "x-github-delivery": "d-1" };
    const good = await post(gw.port, "/hooks/github", raw, { ...headers, "x-hub-signature-256": gh(raw) });
    expect(good.status).toBe(202);
    await eventually(() => gw.fake.requests.length === 1);
    expect(lastUser(gw.fake.requests[0]!.body.messages)).toContain("GitHub push on acme/app");

    const wrongKey = await post(gw.port, "/hooks/github", raw, {
      ...headers,
      "x-hub-signature-256": gh(raw, "x"),
    });
    expect(wrongKey).toMatchObject({ status: 401, body: { code: "AUTH_SIGNATURE_INVALID" } });
    const tampered = await post(gw.port, "/hooks/github", `${raw} `, {
      ...headers,
      "x-hub-signature-256": gh(raw),
    });
    expect(tampered.status).toBe(401);
    const unsigned = await post(gw.port, "/hooks/github", raw, { ...headers, ...bearer });
    expect(unsigned.status).toBe(401);
    expect(gw.fake.requests).toHaveLength(1);
  });

  it("the idempotency header makes a redelivery the same run, started once", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok", { delayMs: 20 }), {
      config: hooksOn({ mappings }),
    });
    const raw = JSON.stringify({ repository: { full_name: "acme/app" } });
    const send = (delivery: string) =>
      post(gw.port, "/hooks/github", raw, {
        "x-github-event": "push",
        "x-github-delivery": delivery,
        "x-hub-signature-256": gh(raw),
      });
    const first = await send("d-42");
    const retry = await send("d-42");
    expect(first.status).toBe(202);
    expect(retry.body.runId).toBe(first.body.runId);
    await eventually(() => gw.handle.context.runs.get(first.body.runId).finished !== undefined);
    const again = await send("d-42");
    expect(again.body.runId).toBe(first.body.runId);
    const other = await send("d-43");
    expect(other.body.runId).not.toBe(first.body.runId);
    await eventually(() => gw.fake.requests.length === 2);
    expect(gw.fake.requests).toHaveLength(2);
  });

  it("a Stripe-style timestamped signature is checked over <t>.<body> and within the tolerance", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), { config: hooksOn({ mappings }) });
    const raw = JSON.stringify({ type: "invoice.paid" });
    const now = Math.floor(Date.now() / 1000);
    const good = await post(gw.port, "/hooks/stripe", raw, { "stripe-signature": stripe(raw, now) });
    expect(good.status).toBe(202);
    const stale = await post(gw.port, "/hooks/stripe", raw, { "stripe-signature": stripe(raw, now - 3_600) });
    expect(stale.status).toBe(401);
    expect(stale.body.error).toContain("tolerance");
    const bad = await post(gw.port, "/hooks/stripe", raw, { "stripe-signature": stripe(raw, now, "other") });
    expect(bad.status).toBe(401);
    const malformed = await post(gw.port, "/hooks/stripe", raw, { "stripe-signature": "v1=abc" });
    expect(malformed.status).toBe(401);
    await eventually(() => gw.fake.requests.length === 1);
    expect(lastUser(gw.fake.requests[0]!.body.messages)).toContain("Stripe invoice.paid");
  });

  it("a templated sessionKey renders from the body and must match an allowed prefix", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), {
      config: hooksOn({
        allowRequestSessionKey: true,
        allowedSessionKeyPrefixes: ["hook:ticket:"],
        mappings: [
          { name: "ticket", messageTemplate: "{{body.title}}", sessionKey: "hook:ticket:{{body.id}}" },
        ],
      }),
    });
    const res = await post(gw.port, "/hooks/ticket", { id: "T-9", title: "broken" }, bearer);
    expect(res.status).toBe(202);
    await eventually(async () => (await gw.handle.context.store.get("hook:ticket:T-9")) !== undefined);
    const empty = await post(gw.port, "/hooks/ticket", { title: "no id" }, bearer);
    expect(empty.status).toBe(202); // renders hook:ticket: — still under the prefix
    const blank = await post(gw.port, "/hooks/ticket", { id: "x" }, bearer);
    expect(blank).toMatchObject({ status: 400, body: { field: "messageTemplate" } });
  });
});
