/**
 * Request and response schemas of the image routes (docs/api.md, "Images"). A job is declared
 * with the fields clients read; fields it gains are carried along undeclared.
 */
import { z } from 'zod';
import { IsoTime, list, named, sentAs } from './api-schemas.js';

/** An image build as the API shows it. */
export const ImageJob = named(
  'ImageJob',
  sentAs<object>(
    z.looseObject({
      id: z.string(),
      state: z.enum(['queued', 'building', 'succeeded', 'failed']),
      request: z.looseObject({ models: list(z.string()), modelcar: z.boolean().optional(), tag: z.string().optional() }),
      created: IsoTime,
      finished: IsoTime.optional(),
      progress: list(z.string()).describe('What the build has done so far, one line per step.'),
      image: z
        .looseObject({
          digest: z.string().describe("The manifest's digest: the image's identity in registries."),
          configDigest: z.string(),
          size: z.number().int().describe('Compressed bytes of all layers.'),
          uncompressedSize: z.number().int(),
          archiveBytes: z.number().int(),
        })
        .optional(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
);

/** The body of `POST /api/images`. */
export const StartImageBody = z.strictObject({
  models: z.array(z.string().min(1).max(300)).min(1).max(64).describe('References: name, name@alias or name:version.'),
  modelcar: z.boolean().optional(),
  tag: z.string().min(1).max(255).optional(),
});

/** `{id}` in a path. */
export const ImageJobParams = z.object({ id: z.string() });
