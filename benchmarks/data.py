"""What `seed_bench` writes and `bench` looks for: the fixed points of the generated data."""

# The complaint with 20 events that the detail benchmark opens (the newest one with this subject).
DETAIL_SUBJECT = "基准测试：二十条处理记录"
# A phone number with exactly four complaints (the "phone that has 4 complaints" search).
PHONE_WITH_FOUR = "13800000004"
# Searches: a common 2-character Chinese word, one that never occurs, a 4-character phrase,
# a Latin word and a phone number's last digits.
SEARCH_2CHAR = "漏水"
SEARCH_2CHAR_NO_MATCH = "水管"  # seed_bench never writes it
SEARCH_4CHAR = "电梯故障"
SEARCH_LATIN = "WiFi"
# The share of all complaints that each periodic rule finds due right after seeding.
DUE_FRACTION = 0.01
# Demo users the bench logs in as (seed_demo's, password seed_demo.DEMO_PASSWORD).
AGENT, SUPERVISOR, MANAGER, HANDLER = "agent", "supervisor", "manager", "handler"
