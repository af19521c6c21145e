# Generates amx_amd64.s from amx_amd64.s.in: lines "@expr" become the BYTE encoding of the AMX
# instruction expr (the Go assembler does not know AMX). Checked against objdump -M intel.
# Usage (from internal/kern): go generate, or python3 testdata/amxgen/gen.py < testdata/amxgen/amx_amd64.s.in > amx_amd64.s
# Encodes the AMX instructions the Go assembler lacks as BYTE directives.
REG = dict(AX=0, CX=1, DX=2, BX=3, SP=4, BP=5, SI=6, DI=7, R8=8, R9=9, R10=10, R11=11, R12=12, R13=13, R14=14, R15=15)
def vex3(R, X, B, mmmmm, W, vvvv, L, pp):
    return [0xC4, ((~R & 1) << 7) | ((~X & 1) << 6) | ((~B & 1) << 5) | mmmmm, (W << 7) | ((~vvvv & 0xF) << 3) | (L << 2) | pp]
def emit(bs, comment):
    return "\t" + "; ".join("BYTE $0x%02X" % b for b in bs) + " // " + comment
def sibmem(op, pp, t, base, index):
    b, i = REG[base], REG[index]
    assert b & 7 != 5 and i != 4
    return vex3(0, i >> 3, b >> 3, 2, 0, 0, 0, pp) + [op, (t << 3) | 4, ((i & 7) << 3) | (b & 7)]
def tileloadd(t, base, index): return emit(sibmem(0x4B, 3, t, base, index), "TILELOADD TMM%d, (%s)(%s*1)" % (t, base, index))
def tilestored(base, index, t): return emit(sibmem(0x4B, 2, t, base, index), "TILESTORED TMM%d, (%s)(%s*1)" % (t, base, index))
def tdp(t1, t2, t3): return emit(vex3(0, 0, 0, 2, 0, t3, 0, 2) + [0x5C, 0xC0 | (t1 << 3) | t2], "TDPBF16PS TMM%d += TMM%d·TMM%d" % (t1, t2, t3))
def tilezero(t): return emit(vex3(0, 0, 0, 2, 0, 0, 0, 3) + [0x49, 0xC0 | (t << 3)], "TILEZERO TMM%d" % t)
def ldtilecfg(base):
    b = REG[base]; assert b & 7 not in (4, 5)
    return emit(vex3(0, 0, b >> 3, 2, 0, 0, 0, 0) + [0x49, b & 7], "LDTILECFG (%s)" % base)
def tilerelease(): return emit([0xC4, 0xE2, 0x78, 0x49, 0xC0], "TILERELEASE")
import sys
for line in sys.stdin:
    s = line.rstrip("\n")
    st = s.strip()
    if st.startswith("@"):
        print(eval(st[1:]))
    else:
        print(s)
