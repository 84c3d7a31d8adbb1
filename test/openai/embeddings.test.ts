// /v1/embeddings through the official client: floats and the SDK's default base64, errors.
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { openaiGateway } from "./harness.js";

describe("POST /v1/embeddings", () => {
  it("passes inputs to the provider and answers one vector per input (float and base64)", async () => {
    await using gw = await openaiGateway();
    const floats = await gw.client.embeddings.create({
      model: "mock/embed-small",
      input: ["abc", "xyz"],
      encoding_format: "float",
    });
    expect(floats.data).toHaveLength(2);
    expect(floats.data[0]!.embedding).toHaveLength(8);
    expect(floats.data[0]!.embedding).not.toEqual(floats.data[1]!.embedding);
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0);
    expect(gw.fake.requests[0]!.body).toEqual({ model: "embed-small", input: ["abc", "xyz"] });
    // The SDK asks for base64 by default and decodes it: the numbers must survive as float32.
    const decoded = await gw.client.embeddings.create({ model: "mock/embed-small", input: "abc" });
    const expected = floats.data[0]!.embedding.map((x) => Math.fround(x));
    expect(decoded.data[0]!.embedding).toEqual(expected);
  });

  it("an unknown provider is a 400 on model; a vendor failure keeps its kind", async () => {
    await using gw = await openaiGateway([
      step.status(401, { error: { message: "bad key", code: "invalid_api_key" } }),
    ]);
    const e1 = await gw.client.embeddings.create({ model: "nope/x", input: "a" }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(OpenAI.APIError);
    expect((e1 as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
      param: "model",
      code: "model_not_found",
    });
    const e2 = (await gw.client.embeddings
      .create({ model: "mock/embed-small", input: "a" })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(e2.status).toBe(502);
    expect(e2.error).toMatchObject({ code: "auth" });
  });
});
