//! Shortest round-trip text of the common f32 values, written straight
//! into an output buffer, four values at a time where the CPU has AVX2.
//!
//! RecordIO-protobuf → CSV spends most of its time printing f32 values.
//! zmij prints one value at a time into its own buffer, moves the integer
//! digits to make room for the point (a `memmove` call per value) and
//! leaves the text to be copied again; each value is a long chain of
//! dependent multiplies, so the processor waits more than it works. This
//! module prints the values most data hold — finite, not integral, with
//! magnitude between about 1.2e-4 and 2^23, at most 8 significant digits —
//! exactly as zmij does (the same shortest digits, the same fixed
//! notation). [`avx2::decimal4`] finds the digits of four values at once in AVX2
//! registers; [`place`] lays each one out with a few word stores. Every
//! other value is left to the caller (zmij): [`write`] and [`place`] return
//! 0 for them.
//!
//! Method (the Schubfach idea, specialised): for a value m·2^(e−150) the
//! decimal scale 10^k is chosen so that one unit in the last place, scaled,
//! is between 1 and 10. Then m·10^k·2^(e−150) and its rounding interval
//! are exact fixed-point integers (m < 2^24, 10^k ≤ 10^11, so the product
//! fits 64 bits), the integers in the interval are the 8- or 9-digit
//! decimals that read back to the value, a multiple of 10 among them (at
//! most one) gives the shorter text, and otherwise the integer nearest the
//! value does (ties to even). Equality with zmij is checked for every f32
//! by `examples/f32_text_exhaustive.rs` (run in CI, in release) and for a
//! sample of them by the unit tests; equality of the AVX2 kernel with the
//! scalar one the same way.

/// Bytes [`write`] and [`place`] may store at `dst` (they write whole words
/// past the text's end).
pub(crate) const ROOM: usize = 24;

/// The decimal scale `k` for a value with biased exponent `e`: the
/// smallest `k` with 10^k ≥ 2^(150−e), for `e` in 114..=149. 2^j is never a
/// power of ten for j ≥ 1, so that is ⌊j·log10 2⌋ + 1, and ⌊j·log10 2⌋ =
/// (j·78913) >> 18 for these small j.
#[inline(always)]
fn scale(e: u32) -> u32 {
    (((150 - e) * 78_913) >> 18) + 1
}

/// The exponents [`decimal`] handles: values in [2^−13, 2^23).
const EXPONENTS: std::ops::RangeInclusive<u32> = 114..=149;

static POW10: [u64; 16] = {
    let mut t = [0u64; 16];
    let mut i = 0;
    let mut p = 1u64;
    while i < 16 {
        t[i] = p;
        p *= 10;
        i += 1;
    }
    t
};

/// The shortest decimal `n · 10^(adj − 7 + …)` of the f32 with bits
/// `bits`, as (`n`, `adj`): `n` has at most 8 digits (leading zero digits
/// allowed), and the decimal exponent of the digit in `n`'s 10^7 place is
/// `adj` (see [`place`]). `None` for values this module leaves to zmij.
#[inline(always)]
fn decimal(bits: u32) -> Option<(u32, i32)> {
    let field = bits & 0x7F_FFFF;
    let e = (bits >> 23) & 0xFF;
    // A zero field has a narrower interval below it: left to zmij.
    if !EXPONENTS.contains(&e) || field == 0 {
        return None;
    }
    let k = scale(e);
    let p10 = POW10[k as usize];
    // value = c / 2^sh; its rounding interval is (c ∓ p10) / 2^sh.
    let sh = 151 - e;
    let mask = (1u64 << sh) - 1;
    let c = 2 * ((field | 0x80_0000) as u64) * p10;
    let (lo, hi) = (c - p10, c + p10);
    // Interval ends read back as f only when its significand is even.
    let odd = field & 1;
    // The integers n with bot < n <= top read back as f.
    let bot = (lo >> sh) as u32 - (((lo & mask) == 0) as u32 & (odd ^ 1));
    let top = (hi >> sh) as u32 - (((hi & mask) == 0) as u32 & odd);
    let t10 = top / 10;
    let coarse = t10 * 10 > bot;
    let xi = (c >> sh) as u32;
    let frac = c & mask;
    let half = 1u64 << (sh - 1);
    let up = (frac > half) as u32 | ((frac == half) as u32 & xi);
    let fine = (xi + (up & 1)).max(bot + 1).min(top);
    let n = if coarse { t10 } else { fine };
    if n >= 100_000_000 {
        return None;
    }
    Some((n, coarse as i32 - k as i32))
}

/// The eight decimal digits of `n < 10^8` as byte values 0..=9, the most
/// significant in the lowest byte (SWAR: 4+4, 2+2, 1+1 digit splits).
#[inline(always)]
fn digits8(n: u32) -> u64 {
    let x = (n / 10_000) as u64 | (((n % 10_000) as u64) << 32);
    let q = ((x * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let x = q | ((x - q * 100) << 16);
    let q = ((x * 103) >> 10) & 0x000F_000F_000F_000F;
    q | ((x - q * 10) << 8)
}

/// Writes the shortest text of `f` at `dst` and returns its length, or
/// returns 0 (having written nothing meaningful) when `f` is not a value
/// this module prints.
///
/// # Safety
/// `dst` must be valid for [`ROOM`] bytes of writes.
#[inline(always)]
pub(crate) unsafe fn write(dst: *mut u8, f: f32) -> usize {
    let bits = f.to_bits();
    match decimal(bits) {
        // SAFETY: the caller's guarantee.
        Some((n, adj)) if n > 0 => unsafe { place(dst, digits8(n), adj, bits >> 31 != 0) },
        _ => 0,
    }
}

/// Lays out digits `dv` (from [`digits8`], not 0) with exponent adjustment
/// `adj` (from [`decimal`]) and sign `negative` at `dst` as zmij's fixed
/// notation does; returns the length, or 0 (having written nothing
/// meaningful) when the text would be an integer (zmij's integer rules
/// apply then).
///
/// # Safety
/// `dst` must be valid for [`ROOM`] bytes of writes.
#[inline(always)]
pub(crate) unsafe fn place(dst: *mut u8, dv: u64, adj: i32, negative: bool) -> usize {
    debug_assert!(dv != 0);
    // Leading zero digits are the low zero bytes, trailing ones the high.
    let lead = dv.trailing_zeros() / 8;
    let trail = dv.leading_zeros() / 8;
    let d = (8 - lead - trail) as usize;
    let text = (dv | 0x3030_3030_3030_3030) >> (8 * lead);
    // Decimal exponent of the first digit.
    let exp = (7 - lead as i32) + adj;
    let neg = negative as usize;
    // SAFETY: every store below ends within ROOM bytes of `dst`: the sign
    // at 0, words at ≤ 1 + 8 + 8 = 17 and ≤ 1 + 2 + 7 + 8 = 18.
    unsafe {
        *dst = b'-';
        let dst = dst.add(neg);
        if exp >= 0 {
            // 12.34: the integer digits, the point, the rest. A value
            // below 2^23 has at most 7 integer digits.
            let i = exp as usize + 1;
            if i >= d {
                return 0;
            }
            dst.cast::<u64>().write_unaligned(text.to_le());
            *dst.add(i) = b'.';
            dst.add(i + 1)
                .cast::<u64>()
                .write_unaligned((text >> (8 * i)).to_le());
            neg + d + 1
        } else {
            // 0.001234 (exp ≥ −4 here: the value is at least 2^−13).
            let z = ((-exp - 1) as usize) & 7;
            dst.cast::<u64>()
                .write_unaligned(u64::from_le_bytes(*b"0.000000").to_le());
            dst.add(2 + z).cast::<u64>().write_unaligned(text.to_le());
            neg + 2 + z + d
        }
    }
}

/// [`decimal`] and [`digits8`] results for up to eight values, from
/// [`avx2::decimal4`] (the first four) or [`avx512::decimal8`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Decimals {
    /// `digits8(n)` per value, 0 for a value left to zmij (or `n` = 0).
    pub digits: [u64; 8],
    /// `adj` per value (meaningless where `digits` is 0).
    pub adj: [i64; 8],
    /// The f32 bits of each value (`v as f32`).
    pub bits: [u32; 8],
}

/// The widest kernel this CPU runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// One value at a time ([`write`]).
    Scalar,
    /// [`avx2::decimal4`].
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// [`avx512::decimal8`].
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

/// The widest kernel this CPU runs (`SM_DATA_F32_KERNEL=scalar|avx2`
/// narrows the choice, for tests and comparisons).
pub(crate) fn kernel() -> Kernel {
    static CHOICE: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
    *CHOICE.get_or_init(|| {
        let cap = std::env::var("SM_DATA_F32_KERNEL").unwrap_or_default();
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if cap != "scalar" && cap != "avx2" && has!("avx512f") && has!("avx512bw") {
                return Kernel::Avx512;
            }
            if cap != "scalar" && has!("avx2") {
                return Kernel::Avx2;
            }
        }
        let _ = cap;
        Kernel::Scalar
    })
}

/// [`decimal`] and [`digits8`] of `v[i] as f32` for four values at once.
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use super::Decimals;
    use std::arch::x86_64::*;

    /// The same arithmetic as [`super::decimal`] then [`super::digits8`]
    /// in four 64-bit lanes; every product fits the lane (or the 32- or
    /// 16-bit part of it that is multiplied), so the results are the
    /// scalar ones bit for bit.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    /// The low 32 bits of 10^0..10^7, 10^8..10^15 and the high 32 bits
    /// of 10^8..10^15 (only 10^8..10^11 are used).
    const POW10_LO_A: __m256i = table(0, 0);
    const POW10_LO_B: __m256i = table(8, 0);
    const POW10_HI_B: __m256i = table(8, 32);

    const fn table(first: usize, shift: u32) -> __m256i {
        let mut t = [0u32; 8];
        let mut i = 0;
        while i < 8 {
            t[i] = (super::POW10[first + i] >> shift) as u32;
            i += 1;
        }
        // SAFETY: [u32; 8] and __m256i have the same size, and every bit
        // pattern is a valid __m256i.
        unsafe { std::mem::transmute::<[u32; 8], __m256i>(t) }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    pub(crate) unsafe fn decimal4(v: &[f64; 4], out: &mut Decimals) {
        let s = _mm256_set1_epi64x;
        // SAFETY: `v` holds four f64.
        let f = _mm256_cvtpd_ps(unsafe { _mm256_loadu_pd(v.as_ptr()) });
        let bits32 = _mm_castps_si128(f);
        let bits = _mm256_cvtepu32_epi64(bits32);
        let field = _mm256_and_si256(bits, s(0x7F_FFFF));
        let e = _mm256_and_si256(_mm256_srli_epi64::<23>(bits), s(0xFF));
        // Handled: 114 <= e <= 149 and field != 0.
        let zero = _mm256_setzero_si256();
        let in_range =
            _mm256_andnot_si256(_mm256_cmpgt_epi64(s(114), e), _mm256_cmpgt_epi64(s(150), e));
        let ok = _mm256_andnot_si256(_mm256_cmpeq_epi64(field, zero), in_range);
        // j = 150 - e, 1 for lanes not handled (keeps the table index in
        // range; their results are masked off at the end).
        let j = _mm256_blendv_epi8(s(1), _mm256_sub_epi64(s(150), e), ok);
        let k = _mm256_add_epi64(
            _mm256_srli_epi64::<18>(_mm256_mul_epu32(j, s(78_913))),
            s(1),
        );
        // p10 = 10^k from three 8-entry dword tables (cheaper than a
        // gather, which microcode mitigations make slow on many Intel
        // CPUs): the low half from 10^0..10^7 or 10^8..10^15 by k's low
        // three bits, the high half non-zero only for 10^10 and 10^11.
        let low = s(0xFFFF_FFFF);
        let lo_a = _mm256_permutevar8x32_epi32(POW10_LO_A, k);
        let lo_b = _mm256_permutevar8x32_epi32(POW10_LO_B, k);
        let big = _mm256_cmpgt_epi64(k, s(7));
        let p10_lo = _mm256_and_si256(_mm256_blendv_epi8(lo_a, lo_b, big), low);
        let p10_hi = _mm256_and_si256(_mm256_permutevar8x32_epi32(POW10_HI_B, k), big);
        let p10 = _mm256_or_si256(
            p10_lo,
            _mm256_slli_epi64::<32>(_mm256_and_si256(p10_hi, low)),
        );
        let sh = _mm256_add_epi64(j, s(1));
        let one = s(1);
        let mask = _mm256_sub_epi64(_mm256_sllv_epi64(one, sh), one);
        let m = _mm256_or_si256(field, s(0x80_0000));
        // c = 2 m p10, p10 < 2^37: the low and high 32-bit halves apart.
        let c = _mm256_add_epi64(
            _mm256_mul_epu32(m, p10),
            _mm256_slli_epi64::<32>(_mm256_mul_epu32(m, _mm256_srli_epi64::<32>(p10))),
        );
        let c = _mm256_add_epi64(c, c);
        let lo = _mm256_sub_epi64(c, p10);
        let hi = _mm256_add_epi64(c, p10);
        let even = _mm256_cmpeq_epi64(_mm256_and_si256(field, one), zero);
        let lo_exact = _mm256_cmpeq_epi64(_mm256_and_si256(lo, mask), zero);
        let hi_exact = _mm256_cmpeq_epi64(_mm256_and_si256(hi, mask), zero);
        // Adding an all-ones mask subtracts 1.
        let bot = _mm256_add_epi64(_mm256_srlv_epi64(lo, sh), _mm256_and_si256(lo_exact, even));
        let top = _mm256_add_epi64(
            _mm256_srlv_epi64(hi, sh),
            _mm256_andnot_si256(even, hi_exact),
        );
        // top / 10 for top < 2^32.
        let t10 = _mm256_srli_epi64::<35>(_mm256_mul_epu32(top, s(0xCCCC_CCCD)));
        let coarse = _mm256_cmpgt_epi64(_mm256_mul_epu32(t10, s(10)), bot);
        let xi = _mm256_srlv_epi64(c, sh);
        let frac = _mm256_and_si256(c, mask);
        let half = _mm256_sllv_epi64(one, _mm256_sub_epi64(sh, one));
        let xi_odd = _mm256_cmpeq_epi64(_mm256_and_si256(xi, one), one);
        let up = _mm256_or_si256(
            _mm256_cmpgt_epi64(frac, half),
            _mm256_and_si256(_mm256_cmpeq_epi64(frac, half), xi_odd),
        );
        let fine = _mm256_sub_epi64(xi, up);
        let bot1 = _mm256_add_epi64(bot, one);
        let fine = _mm256_blendv_epi8(fine, bot1, _mm256_cmpgt_epi64(bot1, fine));
        let fine = _mm256_blendv_epi8(fine, top, _mm256_cmpgt_epi64(fine, top));
        let n = _mm256_blendv_epi8(fine, t10, coarse);
        let ok = _mm256_and_si256(ok, _mm256_cmpgt_epi64(s(100_000_000), n));
        // digits8(n).
        let q = _mm256_srli_epi64::<45>(_mm256_mul_epu32(n, s(0xD1B7_1759)));
        let r = _mm256_sub_epi64(n, _mm256_mul_epu32(q, s(10_000)));
        let x = _mm256_or_si256(q, _mm256_slli_epi64::<32>(r));
        let q = _mm256_and_si256(
            _mm256_srli_epi64::<20>(_mm256_mullo_epi32(x, _mm256_set1_epi32(10_486))),
            s(0x0000_007F_0000_007F),
        );
        let x = _mm256_or_si256(
            q,
            _mm256_slli_epi64::<16>(_mm256_sub_epi64(
                x,
                _mm256_mullo_epi32(q, _mm256_set1_epi32(100)),
            )),
        );
        let q = _mm256_and_si256(
            _mm256_srli_epi64::<10>(_mm256_mullo_epi16(x, _mm256_set1_epi16(103))),
            s(0x000F_000F_000F_000F),
        );
        let dv = _mm256_or_si256(
            q,
            _mm256_slli_epi64::<8>(_mm256_sub_epi64(
                x,
                _mm256_mullo_epi16(q, _mm256_set1_epi16(10)),
            )),
        );
        let dv = _mm256_and_si256(dv, ok);
        // adj = coarse (as 0 or 1) - k.
        let adj = _mm256_sub_epi64(_mm256_sub_epi64(zero, coarse), k);
        // SAFETY: each destination holds at least 32 (or 16) bytes.
        unsafe {
            _mm256_storeu_si256(out.digits.as_mut_ptr().cast(), dv);
            _mm256_storeu_si256(out.adj.as_mut_ptr().cast(), adj);
            _mm_storeu_si128(out.bits.as_mut_ptr().cast(), bits32);
        }
    }
}

/// [`decimal`] and [`digits8`] of `v[i] as f32` for eight values at once.
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512 {
    use super::Decimals;
    use std::arch::x86_64::*;

    /// The same arithmetic as [`super::avx2::decimal4`] in eight lanes,
    /// with mask registers, unsigned min/max and a two-table permute for
    /// 10^k.
    ///
    /// # Safety
    /// The CPU must support AVX-512F and AVX-512BW.
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    pub(crate) unsafe fn decimal8(v: &[f64; 8], out: &mut Decimals) {
        let s = _mm512_set1_epi64;
        // SAFETY: `v` holds eight f64.
        let f = _mm512_cvtpd_ps(unsafe { _mm512_loadu_pd(v.as_ptr()) });
        let bits32 = _mm256_castps_si256(f);
        let bits = _mm512_cvtepu32_epi64(bits32);
        let field = _mm512_and_si512(bits, s(0x7F_FFFF));
        let e = _mm512_and_si512(_mm512_srli_epi64::<23>(bits), s(0xFF));
        // Handled: 114 <= e <= 149 and field != 0.
        let ok = _mm512_cmpge_epu64_mask(e, s(114))
            & _mm512_cmple_epu64_mask(e, s(149))
            & _mm512_test_epi64_mask(field, field);
        // j = 150 - e, 1 for lanes not handled.
        let j = _mm512_mask_sub_epi64(s(1), ok, s(150), e);
        let one = s(1);
        let k = _mm512_add_epi64(_mm512_srli_epi64::<18>(_mm512_mul_epu32(j, s(78_913))), one);
        // SAFETY: POW10 holds 16 u64, the two 8-entry tables.
        let (pa, pb) = unsafe {
            (
                _mm512_loadu_si512(super::POW10.as_ptr().cast()),
                _mm512_loadu_si512(super::POW10.as_ptr().add(8).cast()),
            )
        };
        let p10 = _mm512_permutex2var_epi64(pa, k, pb);
        let sh = _mm512_add_epi64(j, one);
        let mask = _mm512_sub_epi64(_mm512_sllv_epi64(one, sh), one);
        let m = _mm512_or_si512(field, s(0x80_0000));
        let c = _mm512_add_epi64(
            _mm512_mul_epu32(m, p10),
            _mm512_slli_epi64::<32>(_mm512_mul_epu32(m, _mm512_srli_epi64::<32>(p10))),
        );
        let c = _mm512_add_epi64(c, c);
        let lo = _mm512_sub_epi64(c, p10);
        let hi = _mm512_add_epi64(c, p10);
        let odd = _mm512_test_epi64_mask(field, one);
        let lo_exact = _mm512_testn_epi64_mask(lo, mask);
        let hi_exact = _mm512_testn_epi64_mask(hi, mask);
        let bot = _mm512_srlv_epi64(lo, sh);
        let bot = _mm512_mask_sub_epi64(bot, lo_exact & !odd, bot, one);
        let top = _mm512_srlv_epi64(hi, sh);
        let top = _mm512_mask_sub_epi64(top, hi_exact & odd, top, one);
        let t10 = _mm512_srli_epi64::<35>(_mm512_mul_epu32(top, s(0xCCCC_CCCD)));
        let coarse = _mm512_cmpgt_epu64_mask(_mm512_mul_epu32(t10, s(10)), bot);
        let xi = _mm512_srlv_epi64(c, sh);
        let frac = _mm512_and_si512(c, mask);
        let half = _mm512_sllv_epi64(one, _mm512_sub_epi64(sh, one));
        let up = _mm512_cmpgt_epu64_mask(frac, half)
            | (_mm512_cmpeq_epu64_mask(frac, half) & _mm512_test_epi64_mask(xi, one));
        let fine = _mm512_mask_add_epi64(xi, up, xi, one);
        let fine = _mm512_min_epu64(_mm512_max_epu64(fine, _mm512_add_epi64(bot, one)), top);
        let n = _mm512_mask_blend_epi64(coarse, fine, t10);
        let ok = ok & _mm512_cmplt_epu64_mask(n, s(100_000_000));
        // digits8(n).
        let q = _mm512_srli_epi64::<45>(_mm512_mul_epu32(n, s(0xD1B7_1759)));
        let r = _mm512_sub_epi64(n, _mm512_mul_epu32(q, s(10_000)));
        let x = _mm512_or_si512(q, _mm512_slli_epi64::<32>(r));
        let q = _mm512_and_si512(
            _mm512_srli_epi64::<20>(_mm512_mullo_epi32(x, _mm512_set1_epi32(10_486))),
            s(0x0000_007F_0000_007F),
        );
        let x = _mm512_or_si512(
            q,
            _mm512_slli_epi64::<16>(_mm512_sub_epi64(
                x,
                _mm512_mullo_epi32(q, _mm512_set1_epi32(100)),
            )),
        );
        let q = _mm512_and_si512(
            _mm512_srli_epi64::<10>(_mm512_mullo_epi16(x, _mm512_set1_epi16(103))),
            s(0x000F_000F_000F_000F),
        );
        let dv = _mm512_or_si512(
            q,
            _mm512_slli_epi64::<8>(_mm512_sub_epi64(
                x,
                _mm512_mullo_epi16(q, _mm512_set1_epi16(10)),
            )),
        );
        let dv = _mm512_maskz_mov_epi64(ok, dv);
        // adj = coarse (as 0 or 1) - k.
        let neg_k = _mm512_sub_epi64(_mm512_setzero_si512(), k);
        let adj = _mm512_mask_add_epi64(neg_k, coarse, neg_k, one);
        // SAFETY: each destination holds 64 (or 32) bytes.
        unsafe {
            _mm512_storeu_si512(out.digits.as_mut_ptr().cast(), dv);
            _mm512_storeu_si512(out.adj.as_mut_ptr().cast(), adj);
            _mm256_storeu_si256(out.bits.as_mut_ptr().cast(), bits32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(f: f32) -> Option<String> {
        let mut buf = [0u8; ROOM];
        // SAFETY: buf has ROOM bytes.
        let n = unsafe { write(buf.as_mut_ptr(), f) };
        (n > 0).then(|| String::from_utf8(buf[..n].to_vec()).unwrap())
    }

    fn check(f: f32) -> bool {
        match ours(f) {
            Some(s) => {
                assert_eq!(
                    s,
                    zmij::Buffer::new().format_finite(f),
                    "{:#x}",
                    f.to_bits()
                );
                true
            }
            None => false,
        }
    }

    /// Every 65537th bit pattern (covering every exponent and sign), then
    /// the edges of each handled binade and of the intervals.
    fn sample() -> Vec<f32> {
        let mut all = Vec::new();
        let mut bits = 0u32;
        while let Some(b) = bits.checked_add(65_537) {
            all.push(f32::from_bits(b));
            bits = b;
        }
        for e in 110u32..=152 {
            for field in [0, 1, 2, 3, 0x40_0000, 0x7F_FFFE, 0x7F_FFFF, 0x12_3457] {
                for sign in [0, 1u32 << 31] {
                    all.push(f32::from_bits(sign | (e << 23) | field));
                }
            }
        }
        all
    }

    #[test]
    fn prints_what_zmij_prints_for_a_sample_of_all_f32() {
        let handled = sample().into_iter().filter(|&f| check(f)).count();
        assert!(handled > 8_000, "{handled}");
    }

    #[test]
    fn the_scale_is_the_smallest_power_of_ten_above_the_ulp() {
        for e in EXPONENTS {
            let k = scale(e);
            let need = 1u128 << (150 - e);
            assert!(10u128.pow(k) >= need && 10u128.pow(k - 1) < need, "{e}");
        }
    }

    /// Runs `kernel` on windows of `N` values of the sample (and f64
    /// values that round to f32, or overflow it) and compares each lane
    /// with the scalar [`decimal`] and [`digits8`].
    #[cfg(target_arch = "x86_64")]
    fn matches_scalar<const N: usize>(kernel: impl Fn(&[f64; N], &mut Decimals)) {
        let values: Vec<f64> = sample()
            .into_iter()
            .map(f64::from)
            .chain([1e39, -1e39, 1.000_000_000_1, 2.718_281_828_459_1, 1e-50])
            .collect();
        let mut checked = 0;
        for w in values.windows(N).step_by(N - 1) {
            let v: [f64; N] = w.try_into().unwrap();
            let mut got = Decimals::default();
            kernel(&v, &mut got);
            for (i, &x) in v.iter().enumerate() {
                let bits = (x as f32).to_bits();
                assert_eq!(got.bits[i], bits);
                match decimal(bits) {
                    Some((n, adj)) if n > 0 => {
                        assert_eq!(got.digits[i], digits8(n), "{bits:#x}");
                        assert_eq!(got.adj[i], adj as i64, "{bits:#x}");
                        checked += 1;
                    }
                    _ => assert_eq!(got.digits[i], 0, "{bits:#x}"),
                }
            }
        }
        assert!(checked > 8_000, "{checked}");
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn four_at_a_time_is_one_at_a_time() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 on this CPU: the AVX2 kernel cannot run here");
            return;
        }
        // SAFETY: AVX2 is present.
        matches_scalar::<4>(|v, out| unsafe { avx2::decimal4(v, out) });
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn eight_at_a_time_is_one_at_a_time() {
        use std::arch::is_x86_feature_detected as has;
        if !(has!("avx512f") && has!("avx512bw")) {
            eprintln!("no AVX-512 on this CPU: the AVX-512 kernel cannot run here");
            return;
        }
        // SAFETY: AVX-512F and BW are present.
        matches_scalar::<8>(|v, out| unsafe { avx512::decimal8(v, out) });
    }

    #[test]
    fn prints_the_common_shapes_of_numbers() {
        for (f, s) in [
            (0.1f32, "0.1"),
            (-8.954121, "-8.954121"),
            (0.000_123_4, "0.0001234"),
            (1234.5, "1234.5"),
            (8_388_607.5, "8388607.5"),
            (1.000_000_1, "1.0000001"),
            (3.402_823_5e-1, "0.34028235"),
        ] {
            assert_eq!(ours(f).as_deref(), Some(s));
        }
        // Left to zmij: integral, tiny, huge, zero, non-finite, and powers
        // of two (a zero significand field).
        for f in [
            3.0f32,
            1e-5,
            1e9,
            0.0,
            -0.0,
            f32::NAN,
            f32::INFINITY,
            0.5,
            1e-4,
        ] {
            assert_eq!(ours(f), None, "{f}");
        }
    }
}
