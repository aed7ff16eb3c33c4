/**
 * The `delivery.json` manifest that accompanies every delivery (DESIGN §2).
 */
import { z } from 'zod';
import { EXTRACTS } from './extracts.js';

const extractNames = EXTRACTS.map((extract) => extract.name) as [string, ...string[]];

export const deliveryFile = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'a plain file name')
    .refine((name) => /\.(csv|csv\.gz|parquet)$/.test(name), 'ends in .csv, .csv.gz or .parquet'),
  extract: z.enum(extractNames),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
  row_count: z.number().int().nonnegative(),
});

export const deliveryManifest = z.strictObject({
  delivery_id: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, '1–100 chars of [A-Za-z0-9_.-]'),
  extract_date: z.iso.date(),
  files: z
    .array(deliveryFile)
    .min(1)
    .refine((files) => new Set(files.map((file) => file.name)).size === files.length, 'file names are unique'),
});

export type DeliveryFile = z.infer<typeof deliveryFile>;
export type DeliveryManifest = z.infer<typeof deliveryManifest>;
