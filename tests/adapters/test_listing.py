from tierform.adapters.listing import some


def test_a_few_keys_are_all_named_in_order():
    assert some(["b", "a", "c"]) == "a, b, c"


def test_past_the_shown_number_the_rest_is_counted():
    keys = [f"k{i:02d}" for i in range(13, 0, -1)]  # k13 .. k01, unsorted
    assert some(keys) == "k01, k02, k03, k04, k05, k06, k07, k08, k09, k10 and 3 more"
    assert some(keys, shown=2) == "k01, k02 and 11 more"
