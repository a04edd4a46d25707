# independent re-implementation of forecast(1)'s Monte Carlo from the man page text
M=2**64-1
G=0x9e3779b97f4a7c15
def sm(x):
    x=(x+G)&M; z=x
    z=((z^(z>>30))*0xbf58476d1ce4e5b9)&M
    z=((z^(z>>27))*0x94d049bb133111eb)&M
    return x, z^(z>>31)
def rotl(x,k): return ((x<<k)|(x>>(64-k)))&M
def step(s):
    out=(rotl((s[1]*5)&M,7)*9)&M; t=(s[1]<<17)&M
    s[2]^=s[0]; s[3]^=s[1]; s[1]^=s[2]; s[0]^=s[3]; s[2]^=t; s[3]=rotl(s[3],45)
    return out
import sys
seed=int(sys.argv[1]) if len(sys.argv)>1 else 1
amounts=[1000,3000]; thr=[round(0.4*0.75*65536), round(0.75*0.75*65536)]
N=10000; B=4096
n=len(amounts); words=(n+15)//16
tot=[]; first=[]
for b in range((N+B-1)//B):
    x=(seed+16*b*G)&M
    st=[]
    for j in range(4):
        s=[]
        for i in range(4):
            x,v=sm(x); s.append(v)
        st.append(s)
    for k in range(b*B, min((b+1)*B,N)):
        u=[]
        for w in range(words):
            for j in range(4):
                o=step(st[j])
                if k<3 and j==0: first.append(o)
                u += [(o>>(16*q))&0xffff for q in range(4)]
        tot.append(sum(a for a,t,d in zip(amounts,thr,u) if d<t))
print("thresholds", thr)
for o in first: print(hex(o), o&0xffff, (o>>16)&0xffff)
print("first totals", tot[:3])
s=sum(tot); print("mean cents", round(s*100/N), s/N)
t=sorted(tot)
def q(p):
    h=(N-1)*p; lo=int(h); return t[lo]+(h-lo)*(t[min(lo+1,N-1)]-t[lo])
print("p10 p50 p90", q(.1),q(.5),q(.9))
