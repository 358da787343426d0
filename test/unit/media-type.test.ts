// Content-Type essences (worker/protocol/media-type.ts): the one parse of a
// media type that the proxy, the upstream client and the request checks share.
import { describe, expect, it } from "vitest";
import { isJsonMediaType, mediaTypeOf } from "../../worker/protocol/media-type.ts";

describe("mediaTypeOf", () => {
  it("drops the parameters", () => {
    expect(mediaTypeOf("application/json; charset=utf-8")).toBe("application/json");
    expect(mediaTypeOf("text/event-stream;charset=UTF-8;x=1")).toBe("text/event-stream");
  });

  it("lower-cases the type", () => {
    expect(mediaTypeOf("Text/Event-Stream")).toBe("text/event-stream");
    expect(mediaTypeOf("APPLICATION/JSON;Charset=UTF-8")).toBe("application/json");
  });

  it("trims whitespace around the type", () => {
    expect(mediaTypeOf("  application/json  ")).toBe("application/json");
    expect(mediaTypeOf("\ttext/event-stream ; charset=utf-8")).toBe("text/event-stream");
  });

  it("is empty for a missing, empty or parameter-only header", () => {
    expect(mediaTypeOf(null)).toBe("");
    expect(mediaTypeOf(undefined)).toBe("");
    expect(mediaTypeOf("")).toBe("");
    expect(mediaTypeOf("   ")).toBe("");
    expect(mediaTypeOf("; charset=utf-8")).toBe("");
  });

  it("keeps types that only start like another one distinct", () => {
    expect(mediaTypeOf("application/json-seq")).toBe("application/json-seq");
    expect(mediaTypeOf("application/json-seq")).not.toBe("application/json");
    expect(mediaTypeOf("text/event-streamx; a=b")).toBe("text/event-streamx");
  });
});

describe("isJsonMediaType", () => {
  it("accepts application/json and application/…+json types", () => {
    expect(isJsonMediaType("application/json")).toBe(true);
    expect(isJsonMediaType("application/problem+json")).toBe(true);
    expect(isJsonMediaType("application/vnd.api+json")).toBe(true);
    expect(isJsonMediaType(mediaTypeOf("Application/JSON; charset=utf-8"))).toBe(true);
  });

  it("refuses look-alikes and other types", () => {
    expect(isJsonMediaType("application/json-seq")).toBe(false);
    expect(isJsonMediaType("application/jsonx")).toBe(false);
    expect(isJsonMediaType("text/json")).toBe(false);
    expect(isJsonMediaType("text/event-stream")).toBe(false);
    expect(isJsonMediaType("")).toBe(false);
  });
});
