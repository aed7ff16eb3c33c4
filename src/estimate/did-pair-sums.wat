;; The DiD's block products (src/estimate/did-deviation-sums.ts), in WebAssembly with 128-bit SIMD.
;; Assembled to did-pair-sums.wasm beside it by `make wasm` (wabt); test/estimate/did-pair-sums.test.ts fails
;; when the two differ.
;;
;; A block holds one outcome's deviations of `persons` persons, person by person, each person's row `stride`
;; months long (a multiple of 8), 0 where the person has no value. pairSums writes, for the rows i = first,
;; first + 2, ... up to last (first even) and for each the next row, and for the columns j from i rounded down
;; to a multiple of 8 to last rounded up to one:
;;   out[i * stride + j] = sum over p = 0 .. persons - 1 of block[p * stride + i] * block[p * stride + j]
;; Each sum starts at 0 and adds the persons' products one by one in person order, a multiply and then an add
;; (WebAssembly never fuses the two): the bits JavaScript's loop over the persons gives. The two lanes of a
;; vector are two columns, never two persons, so vectors change no order of addition. Sums the caller does not
;; read (a column before i, a row or column past last) are made too: cheaper than cutting the groups of 8.
;; block and out are byte offsets into the memory, which the caller grows to hold them.
(module
  (memory (export "memory") 1)
  (func (export "pairSums") (param $block i32) (param $persons i32) (param $stride i32) (param $first i32) (param $last i32) (param $out i32)
    (local $i i32) (local $j i32) (local $row i32) (local $end i32) (local $rowBytes i32) (local $o i32)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $end (i32.add (local.get $block) (i32.mul (local.get $persons) (local.get $rowBytes))))
    (local.set $i (local.get $first))
    ;; rows i and i + 1 against columns j .. j + 7: two splatted values times four vectors of two columns, per person
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.gt_s (local.get $i) (local.get $last)))
        (local.set $j (i32.and (local.get $i) (i32.const -8)))
        (block $groups_done
          (loop $groups
            (br_if $groups_done (i32.gt_s (local.get $j) (local.get $last)))
            (local.set $a0 (v128.const f64x2 0 0)) (local.set $a1 (v128.const f64x2 0 0))
            (local.set $a2 (v128.const f64x2 0 0)) (local.set $a3 (v128.const f64x2 0 0))
            (local.set $b0 (v128.const f64x2 0 0)) (local.set $b1 (v128.const f64x2 0 0))
            (local.set $b2 (v128.const f64x2 0 0)) (local.set $b3 (v128.const f64x2 0 0))
            (local.set $row (local.get $block))
            ;; $row: the byte offset of person p's row, p = 0 .. persons - 1
            (block $persons_done
              (loop $persons
                (br_if $persons_done (i32.ge_u (local.get $row) (local.get $end)))
                (local.set $x0 (v128.load64_splat (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3)))))
                (local.set $x1 (v128.load64_splat offset=8 (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3)))))
                (local.set $o (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))))
                (local.set $y (v128.load (local.get $o)))
                (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $x0) (local.get $y))))
                (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $x1) (local.get $y))))
                (local.set $y (v128.load offset=16 (local.get $o)))
                (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $x0) (local.get $y))))
                (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $x1) (local.get $y))))
                (local.set $y (v128.load offset=32 (local.get $o)))
                (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $x0) (local.get $y))))
                (local.set $b2 (f64x2.add (local.get $b2) (f64x2.mul (local.get $x1) (local.get $y))))
                (local.set $y (v128.load offset=48 (local.get $o)))
                (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $x0) (local.get $y))))
                (local.set $b3 (f64x2.add (local.get $b3) (f64x2.mul (local.get $x1) (local.get $y))))
                (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
                (br $persons)))
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $j)) (i32.const 3))))
            (v128.store (local.get $o) (local.get $a0))
            (v128.store offset=16 (local.get $o) (local.get $a1))
            (v128.store offset=32 (local.get $o) (local.get $a2))
            (v128.store offset=48 (local.get $o) (local.get $a3))
            (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
            (v128.store (local.get $o) (local.get $b0))
            (v128.store offset=16 (local.get $o) (local.get $b1))
            (v128.store offset=32 (local.get $o) (local.get $b2))
            (v128.store offset=48 (local.get $o) (local.get $b3))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $groups)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows)))))
