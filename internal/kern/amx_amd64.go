package kern

import (
	"runtime"
	"sync"
)

// The "amx-bf16" GEMM backend: Intel AMX tiles (Sapphire Rapids and later) multiply bfloat16 pairs
// and accumulate in float32. It rounds op(A) (times alpha) and op(B) to bf16 (round to nearest even)
// while packing them, so it is not exact: each product carries a relative error of up to 2^-8 from
// each operand. It is never chosen by default; SetBackend("amx-bf16") (midas --matmul bf16) opts in.
// Like the float32 backends, every C element sees the same operations whatever the thread count: K is
// blocked in fixed chunks and tiles are split only along M and N.
//
// Packed layouts (uint16 bf16 bits), per 32-row A panel and 32-column B panel, in 32-wide k chunks of
// 1024 values (2 KiB, two tiles):
//
//	A: chunk·1024 + (i/16)·512 + (i%16)·32 + k%32              (16 rows × 32 k per tile)
//	B: chunk·1024 + (j/16)·512 + (k%32/2)·32 + (j%16)·2 + k%2  (16 k pairs × 16 columns per tile)

//go:generate sh -c "python3 testdata/amxgen/gen.py < testdata/amxgen/amx_amd64.s.in > amx_amd64.s"

//go:noescape
func gemmKernAMX(chunks int, a, b *uint16, c *float32, ldc int, load bool, cfg *[64]byte)

// amxConfig is the tile configuration (palette 1): all eight tiles 16 rows × 64 bytes.
var amxConfig = func() *[64]byte {
	var c [64]byte
	c[0] = 1
	for t := 0; t < 8; t++ {
		c[16+2*t] = 64 // bytes per row
		c[48+t] = 16   // rows
	}
	return &c
}()

var gemmAMX = &gemmBackend{name: "amx-bf16", mr: 32, nr: 32, kc: 512, mc: 128, nc: 512, bf16: true,
	region: gemmRegionAMX, enable: amxEnable}

// amxSupported reports AMX-TILE and AMX-BF16 in CPUID and the tile state enabled in XCR0, on Linux.
func amxSupported() bool {
	if !gemmCPU.avx512 || runtime.GOOS != "linux" { // amxRequestPerm is Linux-only
		return false
	}
	_, _, _, edx7 := cpuid(7, 0)
	const cpuAMXBF16, cpuAMXTile = 1 << 22, 1 << 24
	if edx7&cpuAMXBF16 == 0 || edx7&cpuAMXTile == 0 {
		return false
	}
	xcr0, _ := xgetbv()
	const xcrTileCfg, xcrTileData = 1 << 17, 1 << 18
	return xcr0&(xcrTileCfg|xcrTileData) == xcrTileCfg|xcrTileData
}

var amxPerm = sync.OnceValue(amxRequestPerm)

func amxEnable() error { return amxPerm() }

// amxPackA packs alpha·op(A)[i0:i0+rows, p0:p0+kc] (rows ≤ 32) into one A panel of chunks k chunks,
// zero beyond rows and kc. Everything goes through the assembly: whole chunks straight from A, edge
// chunks (fewer than 32 k, or a partial 16-row half of a transposed A) from a zero-padded copy.
func amxPackA(dst []uint16, s *gemmScratch, j *gemmJob, i0, rows, p0, kc, chunks int) {
	clear(dst[:chunks*1024])
	if !j.transA { // op(A)[i,p] = a[i·lda+p]: each row converts in place, 32 k per tile row
		for i := 0; i < rows; i++ {
			src := j.a[(i0+i)*j.lda+p0 : (i0+i)*j.lda+p0+kc]
			amxPackRow(dst[(i/16)*512+(i%16)*32:], s, src, j.alpha, false)
		}
		return
	}
	// op(A)[i,p] = a[p·lda+i]: pairs of stored rows, scattered down the tile rows.
	amxPackPairs(dst, s, j.a[p0*j.lda+i0:], j.lda, rows, kc, chunks, j.alpha, true)
}

// amxPackB packs op(B)[p0:p0+kc, j0:j0+cols] (cols ≤ 32) into one B panel, zero beyond cols and kc,
// like amxPackA: whole chunks straight from B, edges from a zero-padded copy.
func amxPackB(dst []uint16, s *gemmScratch, j *gemmJob, j0, cols, p0, kc, chunks int) {
	clear(dst[:chunks*1024])
	if j.transB { // op(B)[p,jj] = b[jj·ldb+p]: each stored row is one tile column of pairs
		for jj := 0; jj < cols; jj++ {
			src := j.b[(j0+jj)*j.ldb+p0 : (j0+jj)*j.ldb+p0+kc]
			amxPackRow(dst[(jj/16)*512+(jj%16)*2:], s, src, 1, true)
		}
		return
	}
	// op(B)[p,jj] = b[p·ldb+jj]: pairs of stored rows make tile rows.
	amxPackPairs(dst, s, j.b[p0*j.ldb+j0:], j.ldb, cols, kc, chunks, 1, false)
}

// amxPackRow converts one stored row of kc floats (times alpha), 32 per chunk at d + chunk·1024:
// as a tile row (bf16Rows), or scattered down a tile column of pairs (bf16RowsScatter). A last partial
// chunk goes through a zero-padded copy.
func amxPackRow(d []uint16, s *gemmScratch, src []float32, alpha float32, scatter bool) {
	full := len(src) / 32
	conv := func(d *uint16, src *float32, count int) {
		if scatter {
			bf16RowsScatter(d, 1024, src, 32, count, alpha, &amxScatterIdx)
		} else {
			bf16Rows(d, 1024, src, 32, count, alpha)
		}
	}
	if full > 0 {
		conv(&d[0], &src[0], full)
	}
	if len(src)%32 > 0 {
		conv(&d[full*1024], &amxPadRow(s, src[32*full:])[0], 1)
	}
}

// amxPackPairs packs the panel whose k rows are pairs of stored rows: for each 16-wide half h of the
// width and each chunk c, 32 stored rows (x + (32c+r)·ld + 16h, 16 floats each) become one tile —
// as its rows (bf16Pairs, B not transposed) or scattered down its columns (bf16PairsScatter, A
// transposed). Partial halves and chunks go through a zero-padded copy.
func amxPackPairs(dst []uint16, s *gemmScratch, x []float32, ld, width, kc, chunks int, alpha float32, scatter bool) {
	conv := func(d *uint16, src *float32, ld int) {
		if scatter {
			bf16PairsScatter(d, 2, src, ld, 16, alpha, &amxScatterIdx)
		} else {
			bf16Pairs(d, 32, src, ld, 16, alpha)
		}
	}
	for h := 0; 16*h < width; h++ {
		w := min(16, width-16*h)
		for c := 0; c < chunks; c++ {
			kk := min(32, kc-32*c)
			src := x[32*c*ld+16*h:]
			if w == 16 && kk == 32 {
				_ = src[31*ld+15]
				conv(&dst[c*1024+h*512], &src[0], ld)
				continue
			}
			conv(&dst[c*1024+h*512], &amxPadBlock(s, src, ld, kk, w)[0], 16)
		}
	}
}

// amxPadRow returns the (fewer than 32) floats of src followed by zeros up to 32, in s's scratch.
func amxPadRow(s *gemmScratch, src []float32) []float32 {
	pad := gemmGrow(&s.pad, 32)
	clear(pad[copy(pad, src):])
	return pad
}

// amxPadBlock returns a 32×16 block (row stride 16) holding rows × cols floats of src (row stride ld)
// and zeros elsewhere, in s's scratch: an edge of a packed panel, for the assembly packers.
func amxPadBlock(s *gemmScratch, src []float32, ld, rows, cols int) []float32 {
	pad := gemmGrow(&s.pad, 32*16)
	clear(pad)
	for r := 0; r < rows; r++ {
		copy(pad[r*16:r*16+cols], src[r*ld:])
	}
	return pad
}

// gemmRegionAMX computes C[i0:i1, j0:j1] with the loop nest of gemmRegion on bf16 panels. The tiles
// accumulate onto C (loaded, or zero when beta == 0 on the first K block), so beta ∉ {0, 1} first
// scales this region of C by beta; alpha is folded into the packed A.
func gemmRegionAMX(j *gemmJob, s *gemmScratch, i0, i1, j0, j1 int) {
	be := j.be
	if j.beta != 0 && j.beta != 1 {
		for i := i0; i < i1; i++ {
			row := j.c[i*j.ldc+j0 : i*j.ldc+j1]
			for x := range row {
				row[x] *= j.beta
			}
		}
	}
	for jc := j0; jc < j1; jc += be.nc {
		nc := min(be.nc, j1-jc)
		npan := (nc + 31) / 32
		for pc := 0; pc < j.k; pc += be.kc {
			kc := min(be.kc, j.k-pc)
			chunks := (kc + 31) / 32
			load := pc > 0 || j.beta != 0
			bp := gemmGrow16(&s.b16, npan*chunks*1024)
			for q := 0; q < npan; q++ {
				amxPackB(bp[q*chunks*1024:], s, j, jc+q*32, min(32, nc-q*32), pc, kc, chunks)
			}
			for ic := i0; ic < i1; ic += be.mc {
				mc := min(be.mc, i1-ic)
				mpan := (mc + 31) / 32
				ap := gemmGrow16(&s.a16, mpan*chunks*1024)
				for r := 0; r < mpan; r++ {
					amxPackA(ap[r*chunks*1024:], s, j, ic+r*32, min(32, mc-r*32), pc, kc, chunks)
				}
				for q := 0; q < npan; q++ {
					cols := min(32, nc-q*32)
					for r := 0; r < mpan; r++ {
						rows := min(32, mc-r*32)
						amxTile(j, s, chunks, &ap[r*chunks*1024], &bp[q*chunks*1024], (ic+r*32)*j.ldc+jc+q*32, rows, cols, load)
					}
				}
			}
		}
	}
}

// amxTile runs the kernel on one rows×cols tile of C at offset ci; partial tiles go through a
// 32×32 temporary, so edge elements get the same operations as interior ones.
func amxTile(j *gemmJob, s *gemmScratch, chunks int, ap, bp *uint16, ci, rows, cols int, load bool) {
	if rows == 32 && cols == 32 {
		gemmKernAMX(chunks, ap, bp, &j.c[ci], j.ldc, load, amxConfig)
		return
	}
	tmp := gemmGrow(&s.tmp, 32*32)
	if load {
		for i := 0; i < rows; i++ {
			copy(tmp[i*32:i*32+cols], j.c[ci+i*j.ldc:])
		}
	}
	gemmKernAMX(chunks, ap, bp, &tmp[0], 32, load, amxConfig)
	for i := 0; i < rows; i++ {
		copy(j.c[ci+i*j.ldc:ci+i*j.ldc+cols], tmp[i*32:])
	}
}

// gemmGrow16 is gemmGrow for bf16 buffers.
func gemmGrow16(buf *[]uint16, n int) []uint16 {
	if cap(*buf) < n {
		*buf = make([]uint16, n+n/4)
	}
	return (*buf)[:n]
}

// Assembly packers (amx_amd64.s); see there.

//go:noescape
func bf16Rows(dst *uint16, dstStep int, src *float32, srcStep, count int, alpha float32)

//go:noescape
func bf16RowsScatter(dst *uint16, dstStep int, src *float32, srcStep, count int, alpha float32, idx *[16]int32)

//go:noescape
func bf16Pairs(dst *uint16, dstStep int, src *float32, ld, count int, alpha float32)

//go:noescape
func bf16PairsScatter(dst *uint16, dstStep int, src *float32, ld, count int, alpha float32, idx *[16]int32)

// amxScatterIdx addresses one dword per 64-byte tile row.
var amxScatterIdx = [16]int32{0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240}
