/**
 * The `delivery.json` manifest that accompanies every delivery (DESIGN §2).
 *
 * `coverage` (optional) states per extract the calendar months its source
 * register covers; `mode` per file says whether it adds to and corrects
 * the rows loaded before (`incremental`, the default) or replaces every row
 * of its extract (`full`).
 */
import { z } from 'zod';
import { EXTRACTS } from './extracts.js';

const extractNames = EXTRACTS.map((extract) => extract.name) as [string, ...string[]];

const FILE_MODES = ['incremental', 'full'] as const;
export type FileMode = (typeof FILE_MODES)[number];

/** A calendar month as YYYY-MM. */
const isoMonth = z.string().regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');

export const deliveryFile = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'a plain file name')
    .refine((name) => /\.(csv|csv\.gz|parquet)$/.test(name), 'ends in .csv, .csv.gz or .parquet'),
  extract: z.enum(extractNames),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits'),
  row_count: z.number().int().nonnegative(),
  mode: z.enum(FILE_MODES).default('incremental'),
});

const coveredMonths = z
  .strictObject({ from: isoMonth, to: isoMonth })
  .refine((months) => months.from <= months.to, 'from must not be after to');

/** The last calendar month an extract dated `extractDate` can hold completely (YYYY-MM). */
export function lastCompleteMonth(extractDate: string): string {
  const [year, month, day] = extractDate.split('-').map(Number) as [number, number, number];
  const isMonthEnd = new Date(Date.UTC(year, month - 1, day + 1)).getUTCDate() === 1;
  const last = new Date(Date.UTC(year, month - 1 - (isMonthEnd ? 0 : 1), 1));
  return `${last.getUTCFullYear()}-${String(last.getUTCMonth() + 1).padStart(2, '0')}`;
}

export const deliveryManifest = z
  .strictObject({
    delivery_id: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, '1–100 chars of [A-Za-z0-9_.-]'),
    extract_date: z.iso.date(),
    coverage: z.partialRecord(z.enum(extractNames), coveredMonths).optional(),
    files: z
      .array(deliveryFile)
      .min(1)
      .refine((files) => new Set(files.map((file) => file.name)).size === files.length, 'file names are unique'),
  })
  .superRefine((manifest, context) => {
    const delivered = new Set(manifest.files.map((file) => file.extract));
    manifest.files.forEach((file, index) => {
      if (file.mode === 'full' && manifest.files.filter((other) => other.extract === file.extract).length > 1) {
        context.addIssue({
          code: 'custom',
          path: ['files', index, 'mode'],
          message: `a full file must be the only file of its extract (${file.extract}) in the delivery`,
        });
      }
    });
    const lastMonth = lastCompleteMonth(manifest.extract_date);
    for (const [extract, months] of Object.entries(manifest.coverage ?? {})) {
      if (!months) continue;
      if (!delivered.has(extract)) {
        context.addIssue({ code: 'custom', path: ['coverage', extract], message: 'no file of this extract in the delivery' });
      }
      if (months.to > lastMonth) {
        context.addIssue({
          code: 'custom',
          path: ['coverage', extract, 'to'],
          message: `${months.to} is after ${lastMonth}, the last month complete at the extract date`,
        });
      }
    }
  });

export type DeliveryFile = z.infer<typeof deliveryFile>;
export type DeliveryManifest = z.infer<typeof deliveryManifest>;
