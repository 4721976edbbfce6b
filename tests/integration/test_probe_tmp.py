def test_probe(api):
    for depth in range(975, 1002, 1):
        nested = "[" * depth + "]" * depth
        doc = '{"entry": {"v":1,"form":"message@1","sender":"IRN","key":"0011aabb","seq":1,"time":"2026-11-23T12:00:00Z","audience":"all","refs":[],"body":{"subject":"s","text":"t","x":%s}},"signatures":[{"key":"0011aabb","sig":"%s"}]}' % (nested, "A"*86+"==")
        r = api.post("/v1/entries", content=doc.encode())
        print(depth, r.status_code, r.text[:80])
