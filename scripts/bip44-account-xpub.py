# The independent derivation behind the test key BIP44_ETH_ACCOUNT: m/44'/60'/0' of the BIP-39
# mnemonic "abandon x11 about", computed with nothing but Python's standard library (PBKDF2
# seed, hardened HMAC-SHA512 derivation, secp256k1 in plain integers), so that the deposit tests
# check the Rust derivation against another implementation and against published addresses.
# Usage: python3 scripts/bip44-account-xpub.py
import hashlib, hmac
P=2**256-2**32-977; N=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G=(0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)
def add(a,b):
    if a is None: return b
    if b is None: return a
    if a[0]==b[0] and (a[1]+b[1])%P==0: return None
    if a==b: l=3*a[0]*a[0]*pow(2*a[1],-1,P)%P
    else: l=(b[1]-a[1])*pow(b[0]-a[0],-1,P)%P
    x=(l*l-a[0]-b[0])%P; return (x,(l*(a[0]-x)-a[1])%P)
def mul(k,p=G):
    r=None
    while k:
        if k&1: r=add(r,p)
        p=add(p,p); k>>=1
    return r
def ser(p): return bytes([2+(p[1]&1)])+p[0].to_bytes(32,'big')
mn=" ".join(["abandon"]*11+["about"])
seed=hashlib.pbkdf2_hmac('sha512',mn.encode(),b'mnemonic',2048)
I=hmac.new(b'Bitcoin seed',seed,hashlib.sha512).digest(); k=int.from_bytes(I[:32],'big'); c=I[32:]
chain=[]
for i in [44,60,0]:
    parent=k
    I=hmac.new(c,b'\0'+k.to_bytes(32,'big')+(i+2**31).to_bytes(4,'big'),hashlib.sha512).digest()
    k=(int.from_bytes(I[:32],'big')+k)%N; c=I[32:]
try:
    fp=hashlib.new('ripemd160',hashlib.sha256(ser(mul(parent))).digest()).digest()[:4]
except Exception as e:
    fp=b'\0\0\0\0'; print("no ripemd", e)
data=bytes.fromhex('0488B21E')+bytes([3])+fp+(2**31).to_bytes(4,'big')+c+ser(mul(k))
data+=hashlib.sha256(hashlib.sha256(data).digest()).digest()[:4]
A='123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
n=int.from_bytes(data,'big'); s=''
while n: n,r=divmod(n,58); s=A[r]+s
print('1'*(len(data)-len(data.lstrip(b'\0')))+s)
