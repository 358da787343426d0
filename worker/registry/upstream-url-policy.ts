// Registration-time check of upstream URLs (servers, federation sources):
// the same address policy the guarded fetch applies at every connection
// (worker/upstream/address-policy.ts through EgressGuard.check), reported as
// field errors so a refusal names the URL field. Passing here is no licence:
// every later connection is checked again when it is made.
import type { FieldError } from "../http/errors.ts";
import type { AddressRefusal } from "../upstream/address-policy.ts";

/** Null when the URL may be used, else why not (EgressGuard.check; never refuses in local mode). */
export type UpstreamAddressCheck = (url: string) => Promise<AddressRefusal | null>;

export async function checkUpstreamUrls(
  urls: string[],
  check: UpstreamAddressCheck,
  field: (index: number) => string = (index) => `endpoints.${index}.url`,
): Promise<FieldError[]> {
  const refusals = await Promise.all(urls.map((url) => check(url)));
  return refusals.flatMap((refusal, index) =>
    refusal === null
      ? []
      : [
          {
            field: field(index),
            message: `private, loopback, link-local and reserved addresses are not allowed: ${refusal.reason}`,
          },
        ],
  );
}
