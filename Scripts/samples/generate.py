#!/usr/bin/env python3
"""Writes the demo's sample book (Scripts/samples): 25 DPA critical-minerals facilities over every
instrument and authority, SOFR resets, EUR/AUD/CAD rates, and 18 months of events (June 2025 to
November 2026), one events file per month. Deterministic: the same files every run. The files are
committed; run this only to change the book (then run Scripts/demo twice to check it).

The generator keeps the books legal as it writes: budget authority is allotted before anything is
obligated, the financing account borrows before it disburses (cash never goes negative), a
repayment never exceeds principal, and equity stays well inside 35% of total exposure."""
import csv, datetime as dt, os
from decimal import Decimal
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
MONTHS = [(2025, m) for m in range(6, 13)] + [(2026, m) for m in range(1, 12)]

def last_day(y, m):
    n = dt.date(y + (m == 12), m % 12 + 1, 1)
    return n - dt.timedelta(days=1)

def d(y, m, day):
    return dt.date(y, m, min(day, last_day(y, m).day))

# Month ends from May 2025, and SOFR 3M at each (rates.csv).
ENDS = [last_day(y, m) for (y, m) in [(2025, 5)] + MONTHS]
SOFR = ["4.32", "4.31", "4.30", "4.28", "4.18", "4.05", "3.98", "3.94", "3.90", "3.86", "3.84", "3.82", "3.80", "3.79", "3.77", "3.75", "3.72", "3.70", "3.69"]

# id, name, counterparty, instrument, authority, EO, country, state, naics, minerals, cohort, currency,
# obligated, rate, index, spread, day_count, frequency, amortization, first_payment, maturity, grace, shortfall
EO41 = "EO 14241 (2025-03-20)"; EO22 = "EO 13922 (2020-05-14)"
F = [
 ("DPA-2025-0003","Uranium in-situ recovery wellfields","Sweetwater Uranium Partners LLC","direct-loan","DPA-302",EO41,"US","WY","212290","uranium",2025,"USD","120000000.00","5.75%","","","act-360","quarterly","level-payment","2026-03-31","2033-12-31","0","Domestic uranium concentrate for fuel fabrication"),
 ("DPA-2025-0004","Copper concentrator expansion","Copper Basin Mining Co.","direct-loan","DPA-302",EO41,"US","AZ","212230","copper;silver",2025,"USD","180000000.00","","SOFR-3M","2.25%","act-360","monthly","level-principal","2026-03-31","2034-12-31","0","Refined copper cathode for defense electronics"),
 ("DPA-2025-0006","Potash mine and mill","Green River Potash Inc.","direct-loan","BUILD-9621",EO41,"US","UT","212390","potash",2025,"USD","95000000.00","4.875%","","","30-360","semiannual","level-payment","2026-06-30","2035-06-30","0",""),
 ("DPA-2025-0008","Gold-antimony mill restart","Stibnite Valley Metals Corp.","direct-loan","DPA-302",EO41,"US","ID","212220","gold;antimony",2025,"USD","60000000.00","6.50%","","","act-365f","quarterly","bullet","2026-09-30","2030-09-30","0","Antimony trisulfide for munitions primers"),
 ("DPA-2026-0007","Graphite processing, Alaska","Graphite One (Alaska) Inc.","direct-loan","DPA-302",EO41,"US","AK","331410","graphite",2026,"USD","37500000.00","6.125%","","","act-360","quarterly","level-payment","2027-03-31","2036-12-31","12","Battery-grade natural graphite anode material"),
 ("DPA-2026-0011","Antimony trisulfide smelter","Perpetua Resources Idaho Inc.","direct-loan","DPA-302",EO41,"US","ID","331410","antimony;gold",2026,"USD","22000000.00","","SOFR-3M","2.75%","act-360","quarterly","level-principal","2027-06-30","2033-06-30","6","Antimony trisulfide for munitions primers"),
 ("DPA-2026-0012","Tungsten mine and concentrator","Pilot Mountain Tungsten LLC","direct-loan","DPA-302",EO41,"US","NV","212290","tungsten",2026,"USD","48000000.00","6.00%","","","act-360","monthly","level-payment","2026-07-31","2032-12-31","0","Tungsten concentrate for armor-piercing munitions"),
 ("DFC-2025-0102","Cobalt refinery, Ontario","Northern Cobalt Refining Ltd.","direct-loan","BUILD-9621",EO41,"CA","","331410","cobalt;nickel",2025,"CAD","110000000.00","5.10%","","","act-365f","semiannual","level-principal","2026-06-30","2032-12-31","0",""),
 ("DFC-2026-0103","Rare-earth separation plant, Estonia","Baltic Rare Earths AS","direct-loan","BUILD-9621",EO41,"EE","","331410","neodymium;praseodymium;dysprosium",2026,"EUR","75000000.00","4.60%","","","act-360","semiannual","bullet","2027-06-30","2031-06-30","0",""),
 ("DFC-2027-0101","Nickel-cobalt processing (Australia)","Australian Strategic Materials Ltd","direct-loan","BUILD-9621",EO41,"AU","","331410","nickel;cobalt",2027,"AUD","60000000.00","5.40%","","","act-365f","semiannual","bullet","2027-06-30","2032-06-30","0",""),
 ("DPA-2025-0016","Vanadium electrolyte plant","Ohio Valley Vanadium LLC","loan-guarantee","DPA-301",EO22,"US","OH","325180","vanadium",2025,"USD","85000000.00","","","","","","","","","",""),
 ("DPA-2026-0014","Lithium hydroxide conversion plant","Piedmont Lithium Carolinas LLC","loan-guarantee","DPA-301",EO22,"US","NC","325180","lithium",2026,"USD","90000000.00","","","","","","","","","",""),
 ("DPA-2026-0018","Manganese sulfate refinery","Palmetto Manganese Inc.","loan-guarantee","DPA-301",EO41,"US","SC","325180","manganese",2026,"USD","64000000.00","","","","","","","","","",""),
 ("DPA-2026-0019","Silicon metal smelter restart","Kanawha Silicon Works LLC","loan-guarantee","DPA-301",EO41,"US","WV","331110","silicon",2026,"USD","52000000.00","","","","","","","","","",""),
 ("DPA-2027-0002","Rare-earth separation (minority equity)","MP Materials Corp.","equity","BUILD-9621",EO41,"US","CA","212390","neodymium;praseodymium;dysprosium",2027,"USD","50000000.00","","","","","","","","","",""),
 ("DPA-2025-0020","Lithium clay project (minority equity)","Thacker Basin Lithium Holdings","equity","BUILD-9621",EO41,"US","NV","212390","lithium",2025,"USD","40000000.00","","","","","","","","","",""),
 ("DFC-2026-0104","Graphite mine (minority equity)","Laurentian Graphite Inc.","equity","BUILD-9621",EO41,"CA","","212390","graphite",2026,"CAD","30000000.00","","","","","","","","","",""),
 ("DPA-2027-0003","Gallium and germanium offtake","Blue Line Recovery LLC","purchase-commitment","DPA-303",EO22,"US","NV","331492","gallium;germanium",2027,"USD","40000000.00","","","","","","","","","",""),
 ("DPA-2025-0021","Antimony ingot offtake","Big Sky Antimony Co.","purchase-commitment","DPA-303",EO41,"US","MT","331492","antimony",2025,"USD","24000000.00","","","","","","","","","",""),
 ("DPA-2026-0022","Scandium oxide offtake","Prairie Scandium LLC","purchase-commitment","DPA-303",EO41,"US","ND","331492","scandium",2026,"USD","18000000.00","","","","","","","","","",""),
 ("DPA-2027-0005","Copper mine feasibility grant","Resolution Copper Mining LLC","grant","DPA-303",EO41,"US","AZ","212230","copper",2027,"USD","5000000.00","","","","","","","","","",""),
 ("DPA-2025-0023","Phosphate beneficiation pilot grant","Bone Valley Phosphate Research Inc.","grant","DPA-303",EO41,"US","FL","212390","phosphate",2025,"USD","6000000.00","","","","","","","","","",""),
 ("DPA-2026-0024","Tellurium recovery from copper refining","Garfield Tellurium LLC","grant","DPA-303",EO41,"US","UT","331410","tellurium",2026,"USD","4500000.00","","","","","","","","","",""),
 ("DPA-2026-0025","Platinum-group metals recycling grant","Stillwater Recyclers Inc.","grant","DPA-303",EO41,"US","MT","331492","palladium;platinum",2026,"USD","3500000.00","","","","","","","","","",""),
 ("DPA-2025-0026","Germanium from zinc residues grant","Clarksville Germanium LLC","grant","DPA-303",EO22,"US","TN","331410","germanium;zinc",2025,"USD","2500000.00","","","","","","","","","",""),
]
COLS = "facility_id,name,counterparty,instrument,authority,executive_order,country,state,naics,minerals,cohort_fy,currency,obligated,rate,rate_index,spread,day_count,frequency,amortization,first_payment,maturity,grace_months,shortfall".split(",")
FUND = {"direct-loan": "FIN-DL", "loan-guarantee": "FIN-LG", "equity": "EQ", "purchase-commitment": "DPA", "grant": "PRG"}

events = []  # (date, seq, row)
def ev(date, eid, fac, fund, typ, amount, cur, ref="", memo=""):
    events.append((date, len(events), [eid, date.isoformat(), fac, fund, typ, amount, cur, ref, memo]))

def money(x):
    return f"{Decimal(x).quantize(Decimal('0.01'))}"

# Budget: each fiscal year's authority, apportioned and allotted on its first business day.
def budget(date, fy, fund, kind, amount, cur="USD"):
    tag = f"FY{fy % 100:02d}-{fund}" + ("" if cur == "USD" else f"-{cur}")
    ev(date, f"{tag}-{'BA' if kind == 'borrowing-authority' else 'APPN'}", "", fund, kind, money(amount), cur, "TAS 077-4030" if fund == "PRG" else "", f"FY{fy} {kind}")
    ev(date, f"{tag}-APPORT", "", fund, "apportion", money(amount), cur, "SF-132", "")
    ev(date, f"{tag}-ALLOT", "", fund, "allot", money(amount), cur, "", "")

for fy, date in ((2025, dt.date(2025, 6, 2)), (2026, dt.date(2025, 10, 1)), (2027, dt.date(2026, 10, 1))):
    budget(date, fy, "FIN-DL", "borrowing-authority", {2025: 480000000, 2026: 150000000, 2027: 50000000}[fy])
    budget(date, fy, "FIN-DL", "borrowing-authority", {2025: 120000000, 2026: 0, 2027: 0}[fy], "CAD") if fy == 2025 else None
    if fy == 2026: budget(date, fy, "FIN-DL", "borrowing-authority", 80000000, "EUR")
    if fy == 2027: budget(date, fy, "FIN-DL", "borrowing-authority", 65000000, "AUD")
    budget(date, fy, "FIN-LG", "appropriation", 20000000)
    budget(date, fy, "EQ", "appropriation", {2025: 45000000, 2026: 10000000, 2027: 55000000}[fy])
    if fy == 2026: budget(date, fy, "EQ", "appropriation", 32000000, "CAD")
    budget(date, fy, "DPA", "appropriation", {2025: 30000000, 2026: 25000000, 2027: 45000000}[fy])
    budget(date, fy, "PRG", "appropriation", {2025: 9000000, 2026: 9000000, 2027: 6000000}[fy])

cash = {}  # (fund, currency) -> cash in FIN-DL from borrowing
borrow_n = {}
def disburse(date, fac, cur, amount, eid, ref, memo, fund="FIN-DL", typ="disburse"):
    if fund == "FIN-DL":
        key = (fund, cur)
        if cash.get(key, Decimal(0)) < amount:
            need = (amount - cash.get(key, Decimal(0)) + 9999999) // 10000000 * 10000000
            borrow_n[key] = borrow_n.get(key, 0) + 1
            ev(date, f"BORROW-{cur}-{borrow_n[key]:02d}", "", fund, "borrow", money(need), cur, f"BFS-{date.isoformat()}", "Borrowing from Treasury for disbursements")
            cash[key] = cash.get(key, Decimal(0)) + need
        cash[key] -= amount
    ev(date, eid, fac, "", typ, money(amount), "", ref, memo)

# Installments not paid on the 28th of their month: None = missed; a date = paid late.
LATE = {("DPA-2025-0008", 1): None, ("DPA-2026-0012", 4): dt.date(2026, 11, 9)}

def add_months(date, k):
    """date plus k months, the day clipped to the month's end; a month end stays a month end."""
    y, m = divmod(date.year * 12 + date.month - 1 + k, 12)
    end = last_day(y, m + 1)
    return end if date == last_day(date.year, date.month) else d(y, m + 1, date.day)

def round_half_away(x):
    q, r = divmod(abs(x.numerator), x.denominator)
    q += 2 * r >= x.denominator
    return q if x >= 0 else -q

def schedule(f):
    """(n, date, payment in cents) of a loan's contract schedule, exactly as DESIGN.md §4 and
    Sources/Ledger/Interest/Schedule.swift compute it (exact fractions, rounded once per figure)."""
    first, maturity = dt.date.fromisoformat(f[19]), dt.date.fromisoformat(f[20])
    months = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}[f[17]]
    dates, k = [], 0
    while add_months(first, k * months) <= maturity:
        dates.append(add_months(first, k * months)); k += 1
    if dates[-1] != maturity: dates.append(maturity)
    grace_end = add_months(first, int(f[21] or 0))
    g = sum(1 for x in dates if x < grace_end)
    if f[13]:
        annual = Fraction(f[13].rstrip("%")) / 100
    else:  # the index on the first payment date plus the spread
        index = [r for e, r in zip(ENDS, SOFR) if e <= first][-1]
        annual = Fraction(index) / 100 + Fraction(f[15].rstrip("%")) / 100
    i = annual / (12 // months)
    principal = int(Decimal(f[12]) * 100)
    m = len(dates) - g
    growth = (1 + i) ** m
    level = round_half_away(principal * i * growth / (growth - 1))
    balance, rows = principal, []
    for k, date in enumerate(dates):
        interest = round_half_away(balance * i)
        if k < g: part = 0
        elif k == len(dates) - 1: part = balance
        else:
            part = {"level-payment": level - interest, "level-principal": round_half_away(Fraction(principal, m)), "bullet": 0}[f[18]]
            part = min(max(part, 0), balance)
        balance -= part
        rows.append((k + 1, date, interest + part))
    return rows

def cohort_start(cohort):
    return {2025: (2025, 6), 2026: (2025, 10), 2027: (2026, 10)}[cohort]

def months_from(start, n):
    y, m = start
    for _ in range(n):
        yield (y, m)
        y, m = (y + (m == 12), m % 12 + 1)

for i, f in enumerate(F):
    fid, inst, cur, cohort, oblig = f[0], f[3], f[11], f[10], Decimal(f[12])
    short = fid.split("-", 1)[1]
    sy, sm = cohort_start(cohort)
    day0 = 3 + i % 20
    start = d(sy, sm, day0)
    if inst == "loan-guarantee":
        subsidy = (oblig * Decimal("0.05")).quantize(Decimal("0.01"))
        ev(start, f"OBL-{short}", fid, "", "obligate", money(subsidy), "", f"LGA-{short}", "Guarantee subsidy cost")
        ev(start + dt.timedelta(days=7), f"GTEE-{short}", fid, "", "guarantee-issue", money(oblig), "", f"GA-{short}", "Guaranteed principal")
        # The borrower amortizes: guaranteed principal reduced each quarter end after six months.
        for k, (y, m) in enumerate(months_from((sy, sm), 18)):
            if k >= 6 and m in (3, 6, 9, 12) and (y, m) <= (2026, 11):
                ev(last_day(y, m), f"GRED-{short}-{y}{m:02d}", fid, "", "guarantee-reduce", money(oblig / 40), "", f"LENDER-{short}-{y}Q", "Borrower's scheduled amortization")
        continue
    ev(start, f"OBL-{short}", fid, "", "obligate", money(oblig), "", f"AGR-{short}", "Agreement signed")
    # Tranches: loans in five, equity calls in four, purchases in lots, grants by milestone.
    plan = {"direct-loan": [Decimal("0.25"), Decimal("0.20"), Decimal("0.20"), Decimal("0.15"), Decimal("0.10")],
            "equity": [Decimal("0.30"), Decimal("0.20"), Decimal("0.20")],
            "purchase-commitment": [Decimal("0.15"), Decimal("0.15"), Decimal("0.15"), Decimal("0.15")],
            "grant": [Decimal("0.25"), Decimal("0.25"), Decimal("0.25")]}[inst]
    gap = 1 if cohort == 2027 else 2 if inst != "purchase-commitment" else 3
    # Staggered by one month for every other facility, so that every month has disbursements.
    tranche_months = list(months_from((sy, sm), 2 + gap * len(plan)))[i % 2 :: gap][: len(plan)]
    tranche_months = [(y, m) for (y, m) in tranche_months if (y, m) <= (2026, 11)]
    disbursed = Decimal(0)
    for k, (y, m) in enumerate(tranche_months):
        amount = (oblig * plan[k]).quantize(Decimal("0.01"))
        date = max(d(y, m, 10 + i % 15), start + dt.timedelta(days=5))
        if inst == "direct-loan":
            disburse(date, fid, cur, amount, f"DISB-{short}-{k + 1}", f"TRS-{short}{k + 1:02d}", f"Tranche {k + 1}")
        elif inst == "equity":
            ev(date, f"CALL-{short}-{k + 1}", fid, "", "equity-call", money(amount), "", f"CC-{short}-{k + 1}", f"Capital call {k + 1}")
        elif inst == "purchase-commitment":
            ev(date, f"PURCH-{short}-{k + 1}", fid, "", "purchase", money(amount), "", f"DLV-{short}-{k + 1}", f"Delivery lot {k + 1}")
        else:
            ev(date, f"GRANT-{short}-{k + 1}", fid, "", "disburse", money(amount), "", f"TRS-G{short}{k + 1:02d}", f"Milestone {k + 1}")
        disbursed += amount
    if inst == "direct-loan":
        # The borrower pays the contract schedule (DESIGN.md §4, what `facility schedule` prints) on
        # the 28th of each due month, with the exceptions below.
        for row in schedule(f):
            n, due, payment = row
            if due > dt.date(2026, 11, 30):
                break
            paid_on = LATE.get((fid, n), d(due.year, due.month, 28))
            if paid_on is None:
                continue
            ev(paid_on, f"REPAY-{short}-{n:02d}", fid, "", "repay", money(Decimal(payment) / 100), "", f"LBX-{short}-{n:02d}", f"Installment {n}")
    if inst == "equity":
        for (y, m) in months_from((sy, sm), 18):
            if (y, m) <= (2026, 11) and m in (3, 6, 9, 12) and (y, m) > (sy, sm):
                move = (disbursed * (Decimal("0.04") if (y + m + i) % 3 else Decimal("-0.03"))).quantize(Decimal("0.01"))
                if move:
                    ev(last_day(y, m), f"VAL-{short}-{y}{m:02d}", fid, "", "equity-valuation", money(move), "", "", "Quarterly fair-value estimate")
    if inst == "purchase-commitment" and len(tranche_months) >= 2:
        y, m = tranche_months[1]
        lot = (oblig * plan[0]).quantize(Decimal("0.01"))
        ev(d(y, m, 26), f"RESALE-{short}-1", fid, "", "resale", money(lot * Decimal("0.94")), "", f"SALE-{short}-1", "Lot 1 resold to a domestic processor")
    if inst == "grant" and cohort == 2025:
        rest = oblig - disbursed
        ev(dt.date(2026, 9, 15), f"DEOB-{short}", fid, "", "deobligate", money(rest), "", "", "Project complete under budget: the rest deobligated")

# One troubled loan: its first installment missed, then a partial write-off.
ev(dt.date(2026, 9, 30), "WO-2025-0008-1", "DPA-2025-0008", "", "write-off", "5000000.00", "", "", "Partial write-off after missed payment (restructuring)")

out = os.path.join(HERE, "events")
os.makedirs(out, exist_ok=True)
header = "event_id,date,facility_id,fund,type,amount,currency,reference,memo".split(",")
for (y, m) in MONTHS:
    rows = [r for (date, seq, r) in sorted(events, key=lambda e: (e[0], e[1])) if (date.year, date.month) == (y, m)]
    with open(os.path.join(out, f"{y}-{m:02d}.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)

with open(os.path.join(HERE, "facilities.csv"), "w", newline="") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(COLS)
    w.writerows(F)

# SOFR 3M at each month end from May 2025; USD per unit at each month end for EUR, AUD, CAD.
eur = ["1.1345", "1.1720", "1.1412", "1.1690", "1.1705", "1.1598", "1.1560", "1.1735", "1.1810", "1.1702", "1.1645", "1.1588", "1.1620", "1.1683", "1.1741", "1.1802", "1.1766", "1.1695", "1.1642"]
aud = ["0.6430", "0.6560", "0.6449", "0.6544", "0.6612", "0.6588", "0.6541", "0.6620", "0.6688", "0.6702", "0.6650", "0.6598", "0.6577", "0.6604", "0.6631", "0.6550", "0.6582", "0.6511", "0.6493"]
cad = ["0.7278", "0.7334", "0.7215", "0.7268", "0.7185", "0.7140", "0.7122", "0.7188", "0.7240", "0.7301", "0.7266", "0.7229", "0.7254", "0.7302", "0.7345", "0.7298", "0.7241", "0.7190", "0.7166"]
with open(os.path.join(HERE, "rates.csv"), "w", newline="") as fh:
    fh.write("index,date,rate\n")
    for e, r in zip(ENDS, SOFR): fh.write(f"SOFR-3M,{e.isoformat()},{r}%\n")
with open(os.path.join(HERE, "fx-rates.csv"), "w", newline="") as fh:
    fh.write("date,currency,usd_per_unit\n")
    for code, series in (("AUD", aud), ("CAD", cad), ("EUR", eur)):
        for e, r in zip(ENDS, series): fh.write(f"{e.isoformat()},{code},{r}\n")
# The lockbox bank's statement of FIN-DL's USD cash for November 2026 (the demo reconciles it): every
# cash movement of the month as the ledger will post it, with running balances, and one item the
# ledger does not have yet: the bank's service charge, which the demo books and then matches.
usd_loans = {f[0] for f in F if f[3] == "direct-loan" and f[11] == "USD"}
def cash(row):
    eid, date, fac, fund, typ, amount, cur = row[:7]
    if typ == "borrow" and fund == "FIN-DL" and cur == "USD": return Decimal(amount)
    if fac in usd_loans and typ == "disburse": return -Decimal(amount)
    if fac in usd_loans and typ == "repay": return Decimal(amount)
    return None
ordered = sorted(events, key=lambda e: (e[0], e[1]))
balance = sum(cash(r) for (date, seq, r) in ordered if date < dt.date(2026, 11, 1) and cash(r) is not None)
with open(os.path.join(HERE, "statements", "lockbox-fin-dl-2026-11.csv"), "w", newline="") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["date", "amount", "reference", "description", "balance"])
    for (date, seq, r) in ordered:
        if (date.year, date.month) == (2026, 11) and cash(r) is not None:
            balance += cash(r)
            w.writerow([date.isoformat(), money(cash(r)), r[7] or r[0], r[8], money(balance)])
    balance -= Decimal("25.00")
    w.writerow(["2026-11-30", "-25.00", "SVC-2026-11", "Lockbox service charge, November", money(balance)])
print(f"{len(F)} facilities, {len(events)} events in {len(MONTHS)} monthly files, one statement")
