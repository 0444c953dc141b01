;; The SIMD inner loops of matmul (the macro-kernel of a Goto/BLIS gemm). The TypeScript
;; driver in gemm.ts packs A and B into this module's memory, calls one of these per block,
;; and copies C out; everything here works on packed, zero-padded panels, so there are no
;; edge cases and no strides but C's row stride.
;;
;; Build: pnpm build:wasm (scripts/build-wasm.mjs assembles this with wabt and writes gemm-wasm.ts).
;; It also writes a relaxed-SIMD build in which each `add(c, mul(x, b))` of the micro-kernels
;; becomes `relaxed_madd(x, b, c)` (a fused multiply-add where the CPU has one): +15% here on
;; Zen 4, up to 2x where adds and multiplies share ports (Intel) or on 4-FMA ARM cores.
;; Engines without relaxed SIMD (Node 20 unless --experimental-wasm-relaxed-simd) get this one.
;;
;; Layouts (byte addresses, element size E = 8 for f64, 4 for f32):
;;   A block: mc x kc, as MR-row slivers, each k-major: A[ir*kc + k*MR + i]   (MR = 4)
;;   B block: kc x nc, as NR-column slivers, each k-major: B[jr*kc + k*NR + j] (NR = 4 f64, 8 f32)
;;   C block: mc x nc, row-major with row stride ldc bytes.
;; mc is a multiple of MR, nc of NR, kc >= 1. acc = 0 stores the product; acc = 1 adds it to C.
;;
;; Register blocking: the micro-tile is 4 rows by 2 v128 columns (4x4 doubles, 4x8 floats), so
;; 8 v128 accumulators plus 2 B vectors and 1 broadcast A value: 11 of x86-64's 16 xmm
;; registers. Per k step it does 6 loads for 8 mul + 8 add (plain Wasm SIMD has no fused
;; multiply-add), which keeps both the multiply and the add pipes busy: about 22 GFLOP/s in
;; float64 and 45 in float32 on one Zen 4 core, some 90% of what 128-bit mul + add can do.
;; Larger tiles (6x4, 4x6, 8x4 doubles) measured slower: V8 spills their accumulators.
;;
;; Loop order: jr (B slivers) outside ir (A slivers): one B sliver (kc*NR*E = 8 KiB at
;; kc = 256) stays in L1 while every A sliver of the block streams past it from L2.

(module
  (memory (export "memory") 1)

  (func $gemm_f64 (export "gemm_f64")
    (param $mc i32) (param $nc i32) (param $kc i32)
    (param $pa i32) (param $pb i32) (param $pc i32) (param $ldc i32) (param $acc i32)
    (local $jr i32) (local $ir i32) (local $k i32) (local $a i32) (local $b i32) (local $c i32)
    (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (loop $J
      (local.set $ir (i32.const 0))
      (loop $I
        (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c20 (v128.const i64x2 0 0)) (local.set $c21 (v128.const i64x2 0 0))
        (local.set $c30 (v128.const i64x2 0 0)) (local.set $c31 (v128.const i64x2 0 0))
        ;; a = A sliver ir, b = B sliver jr (both kc*4 doubles long)
        (local.set $a (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 3))))
        (local.set $b (i32.add (local.get $pb) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 3))))
        (local.set $k (local.get $kc))
        (loop $K
          (local.set $b0 (v128.load offset=0 (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $x (v128.load64_splat offset=0 (local.get $a)))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $x) (local.get $b0))))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load64_splat offset=8 (local.get $a)))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $x) (local.get $b0))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load64_splat offset=16 (local.get $a)))
          (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $x) (local.get $b0))))
          (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load64_splat offset=24 (local.get $a)))
          (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $x) (local.get $b0))))
          (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $x) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (i32.const 32)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (br_if $K (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        ;; c = C[ir, jr]
        (local.set $c (i32.add (i32.add (local.get $pc) (i32.mul (local.get $ir) (local.get $ldc)))
                               (i32.shl (local.get $jr) (i32.const 3))))
        (if (local.get $acc)
          (then
            (local.set $c00 (f64x2.add (local.get $c00) (v128.load offset=0 (local.get $c))))
            (local.set $c01 (f64x2.add (local.get $c01) (v128.load offset=16 (local.get $c))))
            (local.set $c10 (f64x2.add (local.get $c10) (v128.load offset=0 (i32.add (local.get $c) (local.get $ldc)))))
            (local.set $c11 (f64x2.add (local.get $c11) (v128.load offset=16 (i32.add (local.get $c) (local.get $ldc)))))
            (local.set $c20 (f64x2.add (local.get $c20) (v128.load offset=0 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))))))
            (local.set $c21 (f64x2.add (local.get $c21) (v128.load offset=16 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))))))
            (local.set $c30 (f64x2.add (local.get $c30) (v128.load offset=0 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))))
            (local.set $c31 (f64x2.add (local.get $c31) (v128.load offset=16 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))))))
        (v128.store offset=0 (local.get $c) (local.get $c00))
        (v128.store offset=16 (local.get $c) (local.get $c01))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store offset=0 (local.get $c) (local.get $c10))
        (v128.store offset=16 (local.get $c) (local.get $c11))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store offset=0 (local.get $c) (local.get $c20))
        (v128.store offset=16 (local.get $c) (local.get $c21))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store offset=0 (local.get $c) (local.get $c30))
        (v128.store offset=16 (local.get $c) (local.get $c31))
        (br_if $I (i32.lt_u (local.tee $ir (i32.add (local.get $ir) (i32.const 4))) (local.get $mc))))
      (br_if $J (i32.lt_u (local.tee $jr (i32.add (local.get $jr) (i32.const 4))) (local.get $nc)))))

  ;; The same with f32x4: a 4x8 tile of floats, accumulated in float32 as BLAS's sgemm does.
  (func $gemm_f32 (export "gemm_f32")
    (param $mc i32) (param $nc i32) (param $kc i32)
    (param $pa i32) (param $pb i32) (param $pc i32) (param $ldc i32) (param $acc i32)
    (local $jr i32) (local $ir i32) (local $k i32) (local $a i32) (local $b i32) (local $c i32)
    (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (loop $J
      (local.set $ir (i32.const 0))
      (loop $I
        (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c20 (v128.const i64x2 0 0)) (local.set $c21 (v128.const i64x2 0 0))
        (local.set $c30 (v128.const i64x2 0 0)) (local.set $c31 (v128.const i64x2 0 0))
        ;; a = A sliver ir (kc*4 floats), b = B sliver jr (kc*8 floats)
        (local.set $a (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2))))
        (local.set $b (i32.add (local.get $pb) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2))))
        (local.set $k (local.get $kc))
        (loop $K
          (local.set $b0 (v128.load offset=0 (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $x (v128.load32_splat offset=0 (local.get $a)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=4 (local.get $a)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=8 (local.get $a)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=12 (local.get $a)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (br_if $K (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        ;; c = C[ir, jr]
        (local.set $c (i32.add (i32.add (local.get $pc) (i32.mul (local.get $ir) (local.get $ldc)))
                               (i32.shl (local.get $jr) (i32.const 2))))
        (if (local.get $acc)
          (then
            (local.set $c00 (f32x4.add (local.get $c00) (v128.load offset=0 (local.get $c))))
            (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $c))))
            (local.set $c10 (f32x4.add (local.get $c10) (v128.load offset=0 (i32.add (local.get $c) (local.get $ldc)))))
            (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (i32.add (local.get $c) (local.get $ldc)))))
            (local.set $c20 (f32x4.add (local.get $c20) (v128.load offset=0 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))))))
            (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))))))
            (local.set $c30 (f32x4.add (local.get $c30) (v128.load offset=0 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))))
            (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))))))))
        (v128.store offset=0 (local.get $c) (local.get $c00))
        (v128.store offset=16 (local.get $c) (local.get $c01))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store offset=0 (local.get $c) (local.get $c10))
        (v128.store offset=16 (local.get $c) (local.get $c11))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store offset=0 (local.get $c) (local.get $c20))
        (v128.store offset=16 (local.get $c) (local.get $c21))
        (local.set $c (i32.add (local.get $c) (local.get $ldc)))
        (v128.store offset=0 (local.get $c) (local.get $c30))
        (v128.store offset=16 (local.get $c) (local.get $c31))
        (br_if $I (i32.lt_u (local.tee $ir (i32.add (local.get $ir) (i32.const 4))) (local.get $mc))))
      (br_if $J (i32.lt_u (local.tee $jr (i32.add (local.get $jr) (i32.const 8))) (local.get $nc)))))

  ;; ---------------------------------------------------------------- packing
  ;; pack(dst, src, os, ks, n, kc, f32, w): n lines (rows of A, or columns of B), each kc long,
  ;; read at src + line*os + k*ks (strides in bytes), written as w-line slivers, each k-major:
  ;; dst[sliver][k][0..w), lines past n zero. A's block is w = 4 with (os, ks) = (row, column)
  ;; stride; B's is w = NR with (os, ks) = (column, row) stride. The driver has copied the
  ;; operand into this memory as it lay (a memcpy), so the two common layouts are fast paths:
  ;; lines contiguous (os = element size: A transposed, B plain) copy w elements per k with
  ;; v128 moves; k contiguous (ks = element size: A plain, B transposed) transpose 4 lines at
  ;; a time with shuffles. Anything else, and the ragged last sliver, go element by element.
  (func $pack (export "pack")
    (param $dst i32) (param $src i32) (param $os i32) (param $ks i32) (param $n i32) (param $kc i32)
    (param $f32 i32) (param $w i32)
    (local $s i32) (local $h i32) (local $e i32) (local $k4 i32) (local $g i32)
    (local.set $e (select (i32.const 4) (i32.const 8) (local.get $f32)))
    (block $done
      (loop $S
        (br_if $done (i32.ge_s (local.get $s) (local.get $n)))
        (local.set $h (i32.sub (local.get $n) (local.get $s)))
        (if (i32.and (i32.ge_s (local.get $h) (local.get $w)) (i32.eq (local.get $os) (local.get $e)))
          (then
            ;; g full slivers side by side (at most 8), so that each k reads whole cache lines
            (local.set $g (i32.div_s (local.get $h) (local.get $w)))
            (if (i32.gt_s (local.get $g) (i32.const 8)) (then (local.set $g (i32.const 8))))
            (call $copy_lines (local.get $dst) (local.get $src) (local.get $ks) (i32.mul (local.get $w) (local.get $e)) (local.get $kc) (local.get $g))
            ;; the loop's step below moves one sliver on; move the other g - 1
            (local.set $g (i32.mul (i32.sub (local.get $g) (i32.const 1)) (local.get $w)))
            (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.mul (local.get $g) (local.get $e)))))
            (local.set $src (i32.add (local.get $src) (i32.mul (local.get $os) (local.get $g))))
            (local.set $s (i32.add (local.get $s) (local.get $g))))
          (else
            (if (i32.and (i32.ge_s (local.get $h) (local.get $w)) (i32.eq (local.get $ks) (local.get $e)))
              (then
                (if (local.get $f32)
                  (then
                    ;; 4 k at a time; w = 8 is two groups of 4 lines interleaved
                    (local.set $k4 (i32.and (local.get $kc) (i32.const -4)))
                    (call $tr4_f32 (local.get $dst) (local.get $src) (local.get $os) (i32.shl (local.get $w) (i32.const 2)) (local.get $k4))
                    (if (i32.eq (local.get $w) (i32.const 8))
                      (then (call $tr4_f32 (i32.add (local.get $dst) (i32.const 16)) (i32.add (local.get $src) (i32.shl (local.get $os) (i32.const 2)))
                                           (local.get $os) (i32.const 32) (local.get $k4)))))
                  (else
                    (local.set $k4 (i32.and (local.get $kc) (i32.const -2)))
                    (call $tr4_f64 (local.get $dst) (local.get $src) (local.get $os) (local.get $k4))))
                (call $lines (local.get $dst) (local.get $src) (local.get $os) (local.get $ks) (local.get $w) (local.get $k4) (local.get $kc) (local.get $f32) (local.get $w)))
              (else
                (call $lines (local.get $dst) (local.get $src) (local.get $os) (local.get $ks)
                  (select (local.get $w) (local.get $h) (i32.ge_s (local.get $h) (local.get $w)))
                  (i32.const 0) (local.get $kc) (local.get $f32) (local.get $w))))))
        (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.mul (local.get $w) (local.get $e)))))
        (local.set $src (i32.add (local.get $src) (i32.mul (local.get $os) (local.get $w))))
        (local.set $s (i32.add (local.get $s) (local.get $w)))
        (br $S))))

  ;; g slivers whose lines are contiguous: per k, g runs of `bytes` (16 or 32) from
  ;; src + k*ks, each to its own sliver (kc*bytes apart).
  (func $copy_lines (param $dst i32) (param $src i32) (param $ks i32) (param $bytes i32) (param $kc i32) (param $g i32)
    (local $i i32) (local $p i32) (local $q i32) (local $step i32)
    (local.set $step (i32.mul (local.get $kc) (local.get $bytes)))
    (loop $K
      (local.set $p (local.get $src))
      (local.set $q (local.get $dst))
      (local.set $i (local.get $g))
      (if (i32.eq (local.get $bytes) (i32.const 32))
        (then
          (loop $S
            (v128.store offset=0 (local.get $q) (v128.load offset=0 (local.get $p)))
            (v128.store offset=16 (local.get $q) (v128.load offset=16 (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (local.get $step)))
            (br_if $S (local.tee $i (i32.sub (local.get $i) (i32.const 1))))))
        (else
          (loop $S
            (v128.store (local.get $q) (v128.load (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (local.get $step)))
            (br_if $S (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))))
      (local.set $dst (i32.add (local.get $dst) (local.get $bytes)))
      (local.set $src (i32.add (local.get $src) (local.get $ks)))
      (br_if $K (local.tee $kc (i32.sub (local.get $kc) (i32.const 1))))))

  ;; Four k-contiguous lines of doubles at src + i*os, k in [0, k2), k2 even: 2x2 transposes.
  (func $tr4_f64 (param $dst i32) (param $src i32) (param $os i32) (param $k2 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $p i32)
    (block $done
      (loop $K
        (br_if $done (i32.le_s (local.get $k2) (i32.const 0)))
        (local.set $r0 (v128.load (local.get $src)))
        (local.set $r1 (v128.load (local.tee $p (i32.add (local.get $src) (local.get $os)))))
        (local.set $r2 (v128.load (local.tee $p (i32.add (local.get $p) (local.get $os)))))
        (local.set $r3 (v128.load (i32.add (local.get $p) (local.get $os))))
        (v128.store offset=0 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r0) (local.get $r1)))
        (v128.store offset=16 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r2) (local.get $r3)))
        (v128.store offset=32 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $r0) (local.get $r1)))
        (v128.store offset=48 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $r2) (local.get $r3)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (local.set $k2 (i32.sub (local.get $k2) (i32.const 2)))
        (br $K))))

  ;; Four k-contiguous lines of floats, k in [0, k4), k4 a multiple of 4: 4x4 transposes,
  ;; each k's 4 values stored at dst + k*step.
  (func $tr4_f32 (param $dst i32) (param $src i32) (param $os i32) (param $step i32) (param $k4 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $p i32)
    (block $done
      (loop $K
        (br_if $done (i32.le_s (local.get $k4) (i32.const 0)))
        (local.set $r0 (v128.load (local.get $src)))
        (local.set $r1 (v128.load (local.tee $p (i32.add (local.get $src) (local.get $os)))))
        (local.set $r2 (v128.load (local.tee $p (i32.add (local.get $p) (local.get $os)))))
        (local.set $r3 (v128.load (i32.add (local.get $p) (local.get $os))))
        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
        (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
        (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
        (v128.store (local.tee $p (i32.add (local.get $dst) (local.get $step)))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
        (v128.store (local.tee $p (i32.add (local.get $p) (local.get $step)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
        (v128.store (i32.add (local.get $p) (local.get $step))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $step) (i32.const 2))))
        (local.set $k4 (i32.sub (local.get $k4) (i32.const 4)))
        (br $K))))

  ;; Element by element: k in [k0, kc) of a sliver of w lines of which the first h are real.
  (func $lines (param $dst i32) (param $src i32) (param $os i32) (param $ks i32)
    (param $h i32) (param $k0 i32) (param $kc i32) (param $f32 i32) (param $w i32)
    (local $i i32) (local $q i32) (local $p i32)
    (block $done
      (loop $K
        (br_if $done (i32.ge_s (local.get $k0) (local.get $kc)))
        (local.set $p (i32.add (local.get $src) (i32.mul (local.get $k0) (local.get $ks))))
        (local.set $q (i32.mul (local.get $k0) (local.get $w)))
        (local.set $i (i32.const 0))
        (loop $I
          ;; (no load past the h real lines: they may lie outside the memory)
          (if (local.get $f32)
            (then (f32.store (i32.add (local.get $dst) (i32.shl (i32.add (local.get $q) (local.get $i)) (i32.const 2)))
                    (if (result f32) (i32.lt_s (local.get $i) (local.get $h)) (then (f32.load (local.get $p))) (else (f32.const 0)))))
            (else (f64.store (i32.add (local.get $dst) (i32.shl (i32.add (local.get $q) (local.get $i)) (i32.const 3)))
                    (if (result f64) (i32.lt_s (local.get $i) (local.get $h)) (then (f64.load (local.get $p))) (else (f64.const 0))))))
          (local.set $p (i32.add (local.get $p) (local.get $os)))
          (br_if $I (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $w))))
        (local.set $k0 (i32.add (local.get $k0) (i32.const 1)))
        (br $K)))))
