package kern

import (
	"runtime"
	"sync"
)

// The "amx-bf16" GEMM backend: Intel AMX tiles (Sapphire Rapids and later) multiply bfloat16 pairs
// and accumulate in float32. It rounds op(A) (times alpha) and op(B) to bf16 (round to nearest even)
// while packing them, so it is not exact: each product carries a relative error of up to 2^-8 from
// each operand. It is never chosen by default; SetBackend("amx-bf16") (midas --bf16) opts in.
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
// zero beyond rows and kc. Whole 32-wide chunks (and, for a transposed A, whole 16-row halves) go
// through the assembly; the edges through amxPackAElems.
func amxPackA(dst []uint16, j *gemmJob, i0, rows, p0, kc, chunks int) {
	clear(dst[:chunks*1024])
	full := kc / 32
	done := 0 // rows done by the assembly for every full chunk
	if full > 0 {
		if j.transA { // op(A)[i,p] = a[p·lda+i]: pairs of stored rows, scattered down tile rows
			for h := 0; 16*h+16 <= rows; h++ {
				for c := 0; c < full; c++ {
					src := j.a[(p0+32*c)*j.lda+i0+16*h:]
					_ = src[31*j.lda+15]
					bf16PairsScatter(&dst[c*1024+h*512], 2, &src[0], j.lda, 16, j.alpha, &amxScatterIdx)
				}
				done = 16*h + 16
			}
		} else {
			for i := 0; i < rows; i++ {
				src := j.a[(i0+i)*j.lda+p0:]
				_ = src[32*full-1]
				bf16Rows(&dst[(i/16)*512+(i%16)*32], 1024, &src[0], 32, full, j.alpha)
			}
			done = rows
		}
	}
	amxPackAElems(dst, j, i0, done, rows, p0, 0, 32*full)
	amxPackAElems(dst, j, i0, 0, rows, p0, 32*full, kc)
}

// amxPackAElems packs rows [iLo, iHi) and columns [pLo, pHi) of the A panel in Go.
func amxPackAElems(dst []uint16, j *gemmJob, i0, iLo, iHi, p0, pLo, pHi int) {
	for i := iLo; i < iHi; i++ {
		base := (i/16)*512 + (i%16)*32
		for p := pLo; p < pHi; p++ {
			var x float32
			if j.transA {
				x = j.a[(p0+p)*j.lda+i0+i]
			} else {
				x = j.a[(i0+i)*j.lda+p0+p]
			}
			dst[(p/32)*1024+base+p%32] = bf16(j.alpha * x)
		}
	}
}

// amxPackB packs op(B)[p0:p0+kc, j0:j0+cols] (cols ≤ 32) into one B panel, zero beyond cols and kc.
// Whole chunks (and, for B not transposed, whole 16-column halves) go through the assembly.
func amxPackB(dst []uint16, j *gemmJob, j0, cols, p0, kc, chunks int) {
	clear(dst[:chunks*1024])
	full := kc / 32
	done := 0 // columns done by the assembly for every full chunk
	if full > 0 {
		if j.transB { // op(B)[p,jj] = b[jj·ldb+p]: each stored row is one tile column of pairs
			for jj := 0; jj < cols; jj++ {
				src := j.b[(j0+jj)*j.ldb+p0:]
				_ = src[32*full-1]
				bf16RowsScatter(&dst[(jj/16)*512+(jj%16)*2], 1024, &src[0], 32, full, 1, &amxScatterIdx)
			}
			done = cols
		} else { // op(B)[p,jj] = b[p·ldb+jj]: pairs of stored rows make tile rows
			for h := 0; 16*h+16 <= cols; h++ {
				for c := 0; c < full; c++ {
					src := j.b[(p0+32*c)*j.ldb+j0+16*h:]
					_ = src[31*j.ldb+15]
					bf16Pairs(&dst[c*1024+h*512], 32, &src[0], j.ldb, 16, 1)
				}
				done = 16*h + 16
			}
		}
	}
	amxPackBElems(dst, j, j0, done, cols, p0, 0, 32*full)
	amxPackBElems(dst, j, j0, 0, cols, p0, 32*full, kc)
}

// amxPackBElems packs columns [jLo, jHi) and k rows [pLo, pHi) of the B panel in Go.
func amxPackBElems(dst []uint16, j *gemmJob, j0, jLo, jHi, p0, pLo, pHi int) {
	for p := pLo; p < pHi; p++ {
		off := (p/32)*1024 + (p%32/2)*32 + p%2
		for jj := jLo; jj < jHi; jj++ {
			var x float32
			if j.transB {
				x = j.b[(j0+jj)*j.ldb+p0+p]
			} else {
				x = j.b[(p0+p)*j.ldb+j0+jj]
			}
			dst[off+(jj/16)*512+(jj%16)*2] = bf16(x)
		}
	}
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
				amxPackB(bp[q*chunks*1024:], j, jc+q*32, min(32, nc-q*32), pc, kc, chunks)
			}
			for ic := i0; ic < i1; ic += be.mc {
				mc := min(be.mc, i1-ic)
				mpan := (mc + 31) / 32
				ap := gemmGrow16(&s.a16, mpan*chunks*1024)
				for r := 0; r < mpan; r++ {
					amxPackA(ap[r*chunks*1024:], j, ic+r*32, min(32, mc-r*32), pc, kc, chunks)
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
