from collections import Counter

import pytest

from gemeingut.data.documents import Document, Exclusion
from gemeingut.data.pii import PII_TYPES, PIIScrubber, is_valid_iban, is_valid_tax_id, scrub_text
from gemeingut.errors import RecipeError


def make_iban(country: str, bban: str) -> str:
    """ISO 13616 check digits computed here, independently of the module under test."""
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def make_tax_id(first_ten: str) -> str:
    """Append the ISO 7064 MOD 11,10 check digit, computed here as the BZSt describes it."""
    product = 10
    for digit in map(int, first_ten):
        total = (digit + product) % 10
        product = (2 * (total or 10)) % 11
    check = 11 - product
    return first_ten + str(0 if check == 10 else check)


def doc(text: str, id: str = "d1") -> Document:
    return Document(id, text, "test", "CC0-1.0", None, None, "test:1")


def run_block(block: PIIScrubber, *texts: str) -> tuple[list[str], list[Exclusion]]:
    excluded: list[Exclusion] = []
    docs = [doc(text, f"d{i}") for i, text in enumerate(texts)]
    out = [d.text for d in block.run(iter(docs), excluded.append)]
    return out, excluded


# --- e-mail ---------------------------------------------------------------------------------


def test_email_address_is_replaced_and_counted() -> None:
    text, counts = scrub_text("Schreiben Sie an max.mustermann+recht@beispiel-kanzlei.de.")
    assert text == "Schreiben Sie an <EMAIL>."
    assert counts == Counter(email=1)


def test_email_with_umlaut_domain_in_parentheses_is_replaced() -> None:
    assert scrub_text("(E-Mail: jürgen@müller-bau.de)")[0] == "(E-Mail: <EMAIL>)"


# --- phone numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "030 12345678",
        "030/12345678",
        "0171 1234567",
        "+49 171 1234567",
        "+49 (0)89 1234567",
        "0049 40 31902600",
        "0221/98765-43",
        "0800 1234567",
        "+33 1 42 68 53 00",
        "+ 49 (0) 4721/567-392",
    ],
)
def test_phone_number_is_replaced_and_counted(number: str) -> None:
    text, counts = scrub_text(f"Sie erreichen uns unter {number} werktags.")
    assert text == "Sie erreichen uns unter <PHONE> werktags."
    assert counts == Counter(phone=1)


def test_phone_number_broken_over_two_lines_is_replaced_whole() -> None:
    text, _ = scrub_text("Tel.: + 49 (0) 4721/567-392, Fax: + 49 (0)\n    4721/554-744 oder -745.")
    assert text == "Tel.: <PHONE>, Fax: <PHONE> oder -745."


def test_short_code_shaped_number_counts_only_after_a_phone_word() -> None:
    assert scrub_text("Gemeindeschlüssel 08335001")[1] == Counter()
    assert scrub_text("Unterposition 0403 90 11 00")[1] == Counter()
    assert scrub_text("Tel. 08335001")[0] == "Tel. <PHONE>"


# --- IBAN -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32",
        "AT61 1904 3002 3457 3201",
        "FR14 2004 1010 0505 0001 3M02 606",
        make_iban("NL", "ABNA0417164300"),
        make_iban("LY", "002048000020100120361"),  # a country outside our length table
    ],
)
def test_iban_is_replaced_and_counted(iban: str) -> None:
    text, counts = scrub_text(f"Bitte überweisen Sie auf {iban}.")
    assert text == "Bitte überweisen Sie auf <IBAN>."
    assert counts == Counter(iban=1)


def test_iban_with_wrong_checksum_is_left_alone() -> None:
    text = "Konto DE89 3704 0044 0532 0130 01 und DE88370400440532013000"
    assert scrub_text(text) == (text, Counter())


def test_iban_followed_by_capitalised_word_keeps_the_word() -> None:
    assert scrub_text("AT61 1904 3002 3457 3201 BLZ")[0] == "<IBAN> BLZ"


def test_iban_of_wrong_length_for_its_country_is_invalid() -> None:
    assert is_valid_iban(make_iban("DE", "370400440532013000"))  # 22 characters
    assert not is_valid_iban(make_iban("DE", "3704004405320130001"))  # 23 characters


def test_iban_is_not_taken_for_a_phone_number() -> None:
    assert scrub_text("IBAN DE02 1203 0000 0000 2020 51")[1] == Counter(iban=1)


# --- IPv4 -----------------------------------------------------------------------------------


def test_public_ipv4_address_is_replaced_and_counted() -> None:
    text, counts = scrub_text("Zugriff von 84.153.22.101 am Montag.")
    assert text == "Zugriff von <IP_ADDRESS> am Montag."
    assert counts == Counter(ip_address=1)


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",  # private
        "172.16.5.4",
        "192.168.178.1",
        "127.0.0.1",  # loopback
        "169.254.10.20",  # link-local
        "0.0.0.0",  # unspecified
        "224.0.0.251",  # multicast
        "240.0.0.1",  # reserved
        "192.0.2.123",  # documentation
        "198.51.100.200",
        "203.0.113.150",
        "100.64.12.1",  # shared address space (carrier NAT)
    ],
)
def test_non_public_ipv4_address_is_left_alone(address: str) -> None:
    text = f"Der Router hat die IP-Adresse {address}."
    assert scrub_text(text) == (text, Counter())


@pytest.mark.parametrize("text", ["Version 1.2.3.4.5", "Wert 300.1.1.1", "Build 10.0.19041.1"])
def test_version_numbers_and_parts_over_255_are_not_addresses(text: str) -> None:
    assert scrub_text(text) == (text, Counter())


def test_outline_numbering_is_an_address_only_when_named_as_one() -> None:
    text = "die Unterabschnitte 9.3.1.51 und 25.50.11.34 sowie Nummer 54.4.4.1"
    assert scrub_text(text) == (text, Counter())
    assert scrub_text("IP-Adresse 8.8.8.8")[0] == "IP-Adresse <IP_ADDRESS>"


# --- German tax identification number -------------------------------------------------------

# One digit twice, one digit three times (not in a row), and a realistic scatter.
COMPUTED_TAX_IDS = [make_tax_id(base) for base in ("3657426180", "2949501837", "4171561298")]


@pytest.mark.parametrize("tax_id", [*COMPUTED_TAX_IDS, "36574261809", "86095742719"])
def test_tax_id_is_replaced_compact_and_in_groups(tax_id: str) -> None:
    # 36 574 261 809 is the example in python-stdnum's documentation of stdnum.de.idnr
    grouped = f"{tax_id[:2]} {tax_id[2:5]} {tax_id[5:8]} {tax_id[8:]}"
    for written in (tax_id, grouped):
        text, counts = scrub_text(f"Steuer-ID: {written}, bitte angeben.")
        assert text == "Steuer-ID: <TAX_ID>, bitte angeben."
        assert counts == Counter(tax_id=1)


@pytest.mark.parametrize(
    "number",
    [
        "36574261890",  # wrong check digit
        "36574261808",  # wrong check digit
        make_tax_id("1234567890"),  # no digit repeated among the first ten
        make_tax_id("1123456677"),  # two digits repeated
        make_tax_id("1112345678"),  # one digit three times in a row
        make_tax_id("1213141567"),  # one digit four times
        "06574261809",  # leading zero
    ],
)
def test_tax_id_failing_the_rules_is_left_alone(number: str) -> None:
    assert not is_valid_tax_id(number)
    assert scrub_text(f"Nummer {number}")[1]["tax_id"] == 0


def test_tax_id_is_not_taken_for_a_phone_number() -> None:
    assert scrub_text(f"IdNr {COMPUTED_TAX_IDS[0]}")[1] == Counter(tax_id=1)


# --- German legal text stays as it is -------------------------------------------------------

LEGAL_TEXT = [
    "§ 12 Abs. 3 Satz 2 des Gesetzes gilt entsprechend.",
    "Dieses Gesetz tritt am 01.02.2023 in Kraft; es gilt bis zum 31.12.2030.",
    "Zuletzt geändert durch Art. 2 V v. 3.7.2018 I 1084 (BAnz AT 06.01.2014 V1).",
    "Die Geldbuße beträgt bis zu 1.000.000 Euro, im Jahr 1998 waren es 500 000 DM.",
    "BVerfG, Beschluss vom 12. März 2019 \N{EN DASH} Az. 1 BvR 123/45, BGBl. I S. 1694.",
    "Abfallschlüssel 03 01 05 und 01 03 04* nach der Anlage zur AVV.",
    "Unterposition 0403 90 11 und 0802 12 90 der Kombinierten Nomenklatur.",
    "Gemeindeschlüssel 09571152, ENI Nummer 0232 6324, CAS-Nummer 736150-63-3.",
    "Das gezeichnete Kapital beträgt 1 082 876 331,12 Euro.",
    "nach den Unterabschnitten 2.2.41.2, 9.3.1.51 und 1.6.3.41 ADR",
    "gemäß Nummer 6.7.4.14 der Anlage 2, Kennzahl 02.01.04.01.01.03",
    "DIN 38407-2 (F2) (Ausgabe Februar 1991) und ISO 9001:2015",
    "Artikel 3 Absatz 1 Nummer 2 Buchstabe b der Verordnung (EU) 2016/679",
]


@pytest.mark.parametrize("text", LEGAL_TEXT)
def test_german_legal_text_is_left_unchanged(text: str) -> None:
    assert scrub_text(text) == (text, Counter())


def test_mixed_german_paragraph_gets_typed_placeholders() -> None:
    text = (
        "Nach § 7 Abs. 2 BDSG wenden Sie sich an Frau Erika Muster, Tel. 030 1234567-89, "
        "E-Mail erika.muster@beispiel.de. Die Erstattung erfolgt auf das Konto "
        "DE89 3704 0044 0532 0130 00 bis zum 01.02.2024; Ihre Steuer-ID 86095742719 und die "
        "IP-Adresse 84.153.22.101 werden nach 30 Tagen gelöscht (Az. 1 BvR 123/45)."
    )
    expected = (
        "Nach § 7 Abs. 2 BDSG wenden Sie sich an Frau <PERSON_NAME>, Tel. <PHONE>, "
        "E-Mail <EMAIL>. Die Erstattung erfolgt auf das Konto "
        "<IBAN> bis zum 01.02.2024; Ihre Steuer-ID <TAX_ID> und die "
        "IP-Adresse <IP_ADDRESS> werden nach 30 Tagen gelöscht (Az. 1 BvR 123/45)."
    )
    assert scrub_text(text) == (
        expected,
        Counter(email=1, phone=1, iban=1, tax_id=1, ip_address=1, person_name=1),
    )


# --- the block ------------------------------------------------------------------------------

PERSONAL = {
    "email": "erika.muster@beispiel.de",
    "phone": "0171 9876543",
    "iban": "DE89 3704 0044 0532 0130 00",
    "tax_id": "86095742719",
    "ip_address": "84.153.22.101",
}


def test_block_counts_replacements_per_type_and_changed_documents_and_excludes_nothing() -> None:
    block = PIIScrubber()
    out, excluded = run_block(
        block,
        f"Kontakt: {PERSONAL['email']} oder {PERSONAL['phone']}",
        "§ 1 Geltungsbereich. Dieses Gesetz gilt für alle.",
        f"Konto {PERSONAL['iban']}, Steuer-ID {PERSONAL['tax_id']}, {PERSONAL['ip_address']}",
        f"Noch einmal: {PERSONAL['email']}",
    )
    assert out[1] == "§ 1 Geltungsbereich. Dieses Gesetz gilt für alle."
    assert out[3] == "Noch einmal: <EMAIL>"
    assert block.counts == Counter(email=2, phone=1, iban=1, tax_id=1, ip_address=1)
    assert block.documents_changed == 3
    assert excluded == []
    assert block.stats() == {"replacements": dict(block.counts), "documents_changed": 3}


def test_types_switch_a_type_off() -> None:
    block = PIIScrubber(types=("email", "iban"))
    out, _ = run_block(block, f"{PERSONAL['email']}, {PERSONAL['phone']}, {PERSONAL['iban']}")
    assert out == [f"<EMAIL>, {PERSONAL['phone']}, <IBAN>"]
    assert block.counts == Counter(email=1, iban=1)


def test_types_from_a_recipe_list_are_accepted_and_default_is_all_six() -> None:
    assert PIIScrubber(types=["phone"]).types == ("phone",)  # type: ignore[arg-type]
    kinds = {"email", "phone", "iban", "ip_address", "tax_id", "person_name"}
    assert set(PIIScrubber().types) == kinds
    assert set(PIIScrubber().types) == set(PII_TYPES)


def test_unknown_type_is_a_recipe_error_with_hint() -> None:
    with pytest.raises(RecipeError, match="unbekannte PII-Art") as error:
        PIIScrubber(types=("email", "passport"))
    assert "tax_id" in str(error.value.hint)


def test_no_personal_value_is_kept_anywhere_in_the_block() -> None:
    block = PIIScrubber()
    out, excluded = run_block(block, " / ".join(PERSONAL.values()))
    assert out == [" / ".join(f"<{kind.upper()}>" for kind in PERSONAL)]
    kept = repr(block) + repr(vars(block)) + repr(block.stats()) + repr(excluded)
    for value in PERSONAL.values():
        assert value not in kept
        assert value.replace(" ", "") not in kept
