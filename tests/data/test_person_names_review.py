"""Person names in 40 more administrative sentences, German and English, written by a reviewer
apart from the detector's own examples: names with particles, hyphens, Turkish, Arabic and
Polish letters, in capitals, in an address block; and traps ("Frau und Beruf", "Herr der
Lage", "Dr. med." alone, a street named after a doctor, job titles, "Damen und Herren").
Every sentence the detector reads right is a requirement; the one it misreads, a known limit,
counts in the measured figures only."""

from __future__ import annotations

import pytest

from gemeingut.data.person_names import find_person_names
from tests.data.test_person_names import precision_and_recall

# (sentence, the names a careful reader marks in it)
WRITTEN: list[tuple[str, list[str]]] = [
    (
        "Vermerk: Am 12.03. rief Frau von der Leyen-Schmitz an und bat um Rückruf.",
        ["von der Leyen-Schmitz"],
    ),
    (
        "Teilnehmende: Herr de Maizière, Frau Dr. Kaczmarek, Herr Al-Hassan",
        ["de Maizière", "Kaczmarek", "Al-Hassan"],
    ),
    (
        "Protokoll der Sitzung vom 4. Juni\nVorsitz: Frau Prof. Dr. Gülşen Aydın",
        ["Gülşen Aydın"],
    ),
    ("Die Unterlagen wurden Herrn Wójcik am 5. Mai zugestellt.", ["Wójcik"]),
    # an address block: the name on the line after the address, the street on the next
    ("An\nHerrn\nMehmet Yıldırım\nHauptstraße 12\n12345 Berlin", ["Mehmet Yıldırım"]),
    ("BESCHEID\nHERRN KLAUS-PETER SCHRÖDER", ["KLAUS-PETER SCHRÖDER"]),
    ("Sehr geehrter Herr Abdullah, Ihr Antrag ist eingegangen.", ["Abdullah"]),
    ("Mit freundlichen Grüßen\nIm Auftrag\n\nBeata Nowakowska", ["Beata Nowakowska"]),
    ("gez. Dr. Friedrich zu Solms-Laubach\nLandrat", ["Friedrich zu Solms-Laubach"]),
    ("Rückfragen richten Sie bitte an Frau Özcan (Tel. intern 214).", ["Özcan"]),
    ("Bearbeiterin: Frau Ewa Lewandowska", ["Ewa Lewandowska"]),
    ("Dear Ms. Nguyen, we have received your tender.", ["Nguyen"]),
    (
        "The contract was signed by Mr. van der Berg on behalf of the supplier.",
        ["van der Berg"],
    ),
    ("Yours faithfully,\nFatima Rahman\nProcurement Officer", ["Fatima Rahman"]),
    ("Contact person: Dr. Piotr Zieliński, phone +49 30 123", ["Piotr Zieliński"]),
    ("Laut Stellungnahme von Herrn Bauer-Çiftçi ist die Frist gewahrt.", ["Bauer-Çiftçi"]),
    ("i. V. Hans-Jürgen Ahrens", ["Hans-Jürgen Ahrens"]),
    ("Die Zeugin Frau Schäfer erklärte, sie habe nichts gesehen.", ["Schäfer"]),
    (
        "Vergabestelle: Ansprechpartner ist Herr Dipl.-Ing. Thomas Krause.",
        ["Thomas Krause"],
    ),
    ("Frau Ministerin Dr. Giffey dankte Herrn Staatssekretär Kühn.", ["Giffey", "Kühn"]),
    (
        "Anwesend: Herr Oberbürgermeister Reiter, Frau Stadträtin Demirci",
        ["Reiter", "Demirci"],
    ),
    ("Das Programm Frau und Beruf fördert den Wiedereinstieg.", []),
    ("Die Behörde war nicht Herr der Lage.", []),
    ("Dr. med. ist ein akademischer Grad.", []),
    ("Die Praxis liegt in der Prof.-Dr.-Str. 7.", []),
    ("Sehr geehrte Damen und Herren, hiermit bewerben wir uns.", []),
    ("Gesucht wird eine Sachbearbeiterin (m/w/d) für das Bürgeramt.", []),
    ("Die Stelle der Referentin für Digitalisierung ist zu besetzen.", []),
    ("§ 3 Die Frau, die ein Kind geboren hat, erhält Mutterschaftsgeld.", []),
    ("Herr und Frau sind als Anrede im Formular anzugeben.", []),
    ("Anrede: Herr / Frau / divers", []),
    ("Frau Oberbürgermeisterin, meine Damen und Herren!", []),
    ("Die Leistungsbeschreibung liegt bei. Mit freundlichen Grüßen\nIhr Vergabeteam", []),
    ("Mr Chairman, the proposal is adopted.", []),
    ("Eine ärztliche Bescheinigung (Dr. med.) ist beizufügen.", []),
    ("Die Frau Oberstaatsanwältin hat Anklage erhoben.", []),
    ("Ansprechpartner: Servicezentrum Steuern", []),
    ("Name: ____________  Vorname: ____________", []),
    ("Das Gesetz zum Schutz der Frau am Arbeitsplatz tritt in Kraft.", []),
    # a known limit: the noun after a name in the genitive goes with it ("Müllers Antrag")
    ("Herrn Müllers Antrag auf Akteneinsicht wurde stattgegeben.", ["Müllers"]),
]
KNOWN_LIMITS = {"Herrn Müllers Antrag auf Akteneinsicht wurde stattgegeben."}

# beside the 40: what a name's line in a letter ends with, and English offices and units
MORE = [
    ("An\nFrau\nDr. Anna Schmidt\nMusterweg 3", ["Anna Schmidt"]),
    ("Zugestellt an Herrn Max Müller\nHauptstraße 5, 12345 Berlin", ["Max Müller"]),
    ("An\nHerrn\nMax Müller\nPostfach 12 34", ["Max Müller"]),
    ("Der Entwurf stammt von Herrn Bodo\nBroschat, Berlin.", ["Bodo\nBroschat"]),
    ("Die Stelle liegt in der Dr.-Hans-Mohr-Straße 4.", []),
    ("GESETZ ZUM SCHUTZ DER FRAU", []),
    ("FRAU UND BERUF", []),
    ("Dear Hiring Manager,", []),
    ("Regards,\nProcurement Department", []),
]


def found(text: str) -> list[str]:
    return [text[start:end] for start, end in find_person_names(text)]


@pytest.mark.parametrize(
    ("text", "names"),
    [pair for pair in WRITTEN + MORE if pair[0] not in KNOWN_LIMITS],
)
def test_the_names_a_reader_marks_are_found_and_nothing_else(text: str, names: list[str]) -> None:
    assert found(text) == names


def test_precision_and_recall_on_the_reviewers_sentences() -> None:
    assert len(WRITTEN) == 40 and sum(len(names) for _, names in WRITTEN) == 26
    precision, recall = precision_and_recall(WRITTEN)
    # 25 of 26 names found; one wrong span ("Müllers Antrag") that is also the one missed; the
    # figures docs/operating.md gives (`person_name`)
    assert (round(precision, 2), round(recall, 2)) == (0.96, 0.96)
