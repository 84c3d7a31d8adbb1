// A route family mounted at a prefix read per request (hooks.path, hot): it moves with the
// prefix, unmounts while the prefix is undefined, yields to fixed routes, and owns its 404/405s.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type IncomingRequest, Router } from "../../src/http/router.js";

function req(method: string, url: string): IncomingRequest {
  return { method, url, headers: {}, ip: "127.0.0.1", signal: new AbortController().signal, body: null };
}

describe("router mount", () => {
  it("follows the prefix, yields to fixed routes, and words its own errors", async () => {
    let prefix: string | undefined = "/hooks";
    const router = new Router()
      .add([{ method: "GET", path: "/hooks/fixed", handler: () => ({ status: 200, body: "fixed" }) }])
      .mount(
        () => prefix,
        [
          {
            method: "POST",
            path: "/:name",
            handler: (ctx) => ({ status: 200, body: `${ctx.params["name"]} ${ctx.path}` }),
          },
        ],
        (err, status) => ({ family: true, status, message: err.message }),
      );
    const body = async (method: string, url: string): Promise<[number, string]> => {
      const r = await router.handle(req(method, url));
      return [r.status, String(r.body)];
    };
    expect(await body("POST", "/hooks/wake?x=1")).toEqual([200, "wake /hooks/wake"]);
    expect(await body("GET", "/hooks/fixed")).toEqual([200, "fixed"]);
    const [status, text] = await body("GET", "/hooks/wake");
    expect(status).toBe(405);
    expect(JSON.parse(text)).toMatchObject({ family: true, status: 405 });
    expect(JSON.parse((await body("POST", "/hooks/a/b"))[1])).toMatchObject({ family: true, status: 404 });

    prefix = "/in";
    expect(await body("POST", "/in/agent")).toEqual([200, "agent /in/agent"]);
    expect((await body("POST", "/hooks/agent"))[0]).toBe(404);
    expect(JSON.parse((await body("POST", "/hooks/agent"))[1]).family).toBeUndefined();

    prefix = undefined;
    expect((await body("POST", "/in/agent"))[0]).toBe(404);
  });

  it("a route's body cap may be a getter, read per request", async () => {
    let cap = 4;
    const router = new Router().add([
      {
        method: "POST",
        path: "/echo",
        maxBodyBytes: () => cap,
        handler: async (ctx) => ({ status: 200, body: String((await ctx.body()).length) }),
      },
    ]);
    const withBody = (n: number): IncomingRequest => ({
      ...req("POST", "/echo"),
      headers: { "content-length": String(n) },
      body: Readable.from([Buffer.alloc(n)]),
    });
    expect((await router.handle(withBody(8))).status).toBe(413);
    cap = 16;
    const fits = await router.handle(withBody(8));
    expect([fits.status, fits.body]).toEqual([200, "8"]);
  });
});
