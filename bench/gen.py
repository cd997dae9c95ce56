#!/usr/bin/env python3
"""gen.py: deterministic customer messages for the benchmarks, as JSON lines.

Each line is one message in the ingest format of POST /api/v1/messages:
  {"channel":"api","external_id":"m-1","thread_id":"t-1","author":{...},
   "text":"...","created_at":"2026-11-23T06:45:00+01:00"}

What it models: customers of a German municipal utility or craft business
writing in German (3 of 4 conversations) or English. Conversations hold 1 to
10 messages (mostly short), overlap in time, and one contact may open several
of them (about 1 contact per 5 messages: 200k contacts for 1M messages).
Now and then an outage wave brings many new conversations within minutes.
A few rare words appear in roughly 1 of 50,000 messages, so that searches for
rare and common words can both be measured.

Usage: gen.py --messages N [--seed S] [--out FILE]   (stdout without --out)
The output depends only on N and the seed.
"""
import argparse
import datetime
import json
import random
import sys

DE_FIRST = ("Anna Ben Clara David Emma Felix Greta Hannah Jonas Karin Lukas Marie Niklas "
            "Olga Paul Petra Sabine Stefan Thomas Ursula Wolfgang Yvonne Jürgen Özlem "
            "Björn Sören Mehmet Ayşe Dieter Monika Heike Frank Tanja Uwe Birgit").split()
DE_LAST = ("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
           "Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann "
           "Braun Krüger Hofmann Hartmann Lange Schmitt Werner Krause Meier Lehmann "
           "Yılmaz Kaya Nowak Beispiel").split()
EN_FIRST = "James Mary John Linda Emily Oliver Grace Henry Chloe Jack Sophie Liam".split()
EN_LAST = "Smith Jones Taylor Brown Wilson Evans Thomas Roberts Walker Wright".split()
STREETS = ("Hauptstraße Bahnhofstraße Gartenweg Lindenallee Schulstraße Am Markt "
           "Kirchgasse Mühlenweg Bergstraße Rosenweg Goethestraße Feldstraße").split()
DISTRICTS = ("Nordstadt Südviertel Altstadt Oberdorf Unterdorf Weststadt Neubaugebiet "
             "Hafenviertel Am Hang Gewerbegebiet").split()

DE_OPEN = ("Hallo,", "Guten Morgen,", "Guten Tag,", "Sehr geehrte Damen und Herren,", "Moin,",
           "Hallo zusammen,", "Hi,", "", "", "")
DE_TOPICS = {
    "outage": (
        "bei uns in der {street} ist seit {time} Uhr der Strom weg.",
        "Stromausfall in {district}! Wann geht der Strom wieder?",
        "Gibt es gerade Stromausfälle in {district}? Bei mir ist alles dunkel.",
        "Seit heute früh kein Strom, der Kühlschrank taut ab.",
        "Ist der Stromausfall in der {street} schon bekannt? Die Ampeln sind auch aus.",
        "Kompletter Stromausfall im ganzen Haus, die Nachbarn haben auch keinen Strom.",
    ),
    "meter": (
        "ich möchte meinen Zählerstand melden: {num} kWh.",
        "Der Zähler mit der Zählernummer {meter} zeigt einen Zählerstand von {num}.",
        "Wo trage ich den Zählerstand für den Gaszähler ein?",
        "Der Ableser war da, aber der Zählerstand auf der Rechnung stimmt nicht.",
        "Mein neuer Stromzähler zeigt seit dem Einbau nichts an.",
    ),
    "bill": (
        "meine Rechnung vom {date} ist viel zu hoch.",
        "Ich habe die Jahresrechnung noch nicht erhalten.",
        "Warum wurde der Abschlag auf {eur} Euro erhöht?",
        "Kann ich den monatlichen Abschlag anpassen? {eur} Euro sind zu viel.",
        "Die Lastschrift für den Abschlag wurde zweimal abgebucht.",
        "In der Rechnung steht ein falscher Verbrauch, bitte prüfen.",
    ),
    "contract": (
        "ich ziehe zum {date} um und möchte meinen Vertrag kündigen.",
        "Wie lange läuft mein Vertrag noch? Die Vertragsnummer ist {meter}.",
        "Ich möchte in den Ökostrom-Tarif wechseln.",
        "Bekomme ich beim Umzug in die {street} einen neuen Vertrag?",
        "Gibt es einen günstigeren Tarif für Wärmepumpen?",
    ),
    "utility": (
        "Der Wasserdruck ist seit gestern sehr schwach.",
        "Gasgeruch im Treppenhaus in der {street}, bitte dringend kommen!",
        "Die Fernwärme ist ausgefallen, die Heizung bleibt kalt.",
        "Wann wird in {district} endlich Glasfaser verlegt?",
        "Wasserrohrbruch vor dem Haus in der {street}, die Straße steht unter Wasser.",
        "Die Straßenlaterne vor Hausnummer {house} ist seit Tagen dunkel.",
    ),
    "craft": (
        "Wann kommt der Handwerker für die Heizung? Der Termin war für den {date} vereinbart.",
        "Können Sie mir ein Angebot für ein neues Bad machen?",
        "Der Monteur hat die Therme repariert, aber sie tropft wieder.",
        "Ich brauche einen Termin für die Wartung der Heizung.",
    ),
    "praise": (
        "Danke für die schnelle Hilfe gestern!",
        "Super Service, vielen Dank an das ganze Team.",
        "Der Techniker war sehr freundlich und schnell, Daumen hoch!",
    ),
    "complaint": (
        "Ich warte seit drei Wochen auf eine Antwort. Unmöglich!",
        "Niemand geht ans Telefon, so geht das nicht.",
        "Das ist schon die dritte Störung diesen Monat.",
    ),
}
DE_FOLLOW = (
    "Gibt es schon Neuigkeiten?",
    "Der Strom ist wieder da, danke!",
    "Hallo? Ich warte noch auf eine Antwort.",
    "Hier noch die Zählernummer: {meter}",
    "Danke für die Rückmeldung.",
    "Das Foto vom Zähler habe ich per Mail geschickt.",
    "Passt, dann bis {date}.",
    "Leider immer noch nicht behoben.",
    "Können Sie mich bitte zurückrufen?",
)
DE_FILL = ("Vielen Dank im Voraus.", "Bitte melden Sie sich.",
           "Ich bin tagsüber telefonisch erreichbar.", "Mit freundlichen Grüßen", "LG",
           "Danke!", "Viele Grüße", "Das ist wirklich ärgerlich.", "Bitte um kurze Info.",
           "Meine Kundennummer ist {meter}.", "")

EN_OPEN = ("Hi,", "Hello,", "Good morning,", "Dear team,", "", "")
EN_TOPICS = {
    "outage": (
        "there is a power outage in {district} since {time}.",
        "Power cut on {street} again, any idea when it will be fixed?",
        "No electricity since this morning, is this a known outage?",
    ),
    "meter": (
        "I would like to submit my meter reading: {num} kWh.",
        "The meter reading on my bill is wrong, my meter shows {num}.",
        "Where can I enter the meter reading online?",
    ),
    "bill": (
        "my bill from {date} is far too high.",
        "Why did my monthly payment go up to {eur} EUR?",
        "The direct debit was taken twice this month.",
    ),
    "contract": (
        "I am moving on {date} and need to cancel my contract.",
        "Can I switch to the green electricity tariff?",
    ),
    "utility": (
        "The water pressure has been very low since yesterday.",
        "I can smell gas in the hallway on {street}, please come quickly!",
        "The heating is not working, is there a problem with district heating?",
    ),
    "praise": ("Thanks for the quick help yesterday!", "Great service, thank you."),
    "complaint": ("I have been waiting for an answer for three weeks.",
                  "Nobody answers the phone, this is unacceptable."),
}
EN_FOLLOW = ("Any update on this?", "Power is back, thanks!", "Still waiting for an answer.",
             "Here is my meter number: {meter}", "Thanks for getting back to me.",
             "Still not fixed, unfortunately.")
EN_FILL = ("Thanks in advance.", "Best regards", "Cheers", "Please get back to me.",
           "My customer number is {meter}.", "")

TOPIC_WEIGHTS = (("outage", 14), ("meter", 22), ("bill", 22), ("contract", 12),
                 ("utility", 12), ("craft", 8), ("praise", 5), ("complaint", 5))
RARE = ("Kirschblütenfest", "Quittengelee", "Drachenbootrennen")  # ~1 in 50k messages each
LENGTHS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
LENGTH_WEIGHTS = (30, 20, 14, 10, 8, 6, 5, 3, 2, 2)  # mean ~3.3 messages per conversation
MEAN_LENGTH = sum(l * w for l, w in zip(LENGTHS, LENGTH_WEIGHTS)) / sum(LENGTH_WEIGHTS)
TZ = datetime.timezone(datetime.timedelta(hours=1))
START = datetime.datetime(2024, 1, 1, 6, 0, tzinfo=TZ).timestamp()
END = datetime.datetime(2026, 11, 23, 6, 45, tzinfo=TZ).timestamp()


class Gen:
    def __init__(self, n, seed):
        self.r = random.Random(seed)
        self.n = n
        self.gap = (END - START) / max(n, 1)  # mean seconds between messages
        self.contacts = []  # (id, name, handle, lang)
        self.topics = [t for t, w in TOPIC_WEIGHTS for _ in range(w)]

    def fill(self, s, r):
        if "{" not in s:
            return s
        return s.format(street=r.choice(STREETS) + " " + str(r.randint(1, 120)),
                        district=r.choice(DISTRICTS), time="%d:%02d" % (r.randint(0, 23), r.choice((0, 15, 30, 45))),
                        num=r.randint(1000, 99999), meter="%d%06d" % (r.randint(1, 9), r.randint(0, 999999)),
                        date="%d.%d." % (r.randint(1, 28), r.randint(1, 12)),
                        eur=r.randint(40, 260), house=r.randint(1, 80))

    def contact(self, lang):
        r = self.r
        # Two of three conversations come from someone never seen before.
        if self.contacts and r.random() < 0.33:
            return self.contacts[r.randrange(len(self.contacts))]
        cid = len(self.contacts) + 1
        if lang == "de":
            first, last = r.choice(DE_FIRST), r.choice(DE_LAST)
        else:
            first, last = r.choice(EN_FIRST), r.choice(EN_LAST)
        c = ("u-%d" % cid, "%s %s" % (first, last), "@%s%s%d" % (first.lower(), last[0].lower(), cid), lang)
        self.contacts.append(c)
        return c

    def text(self, conv, first):
        r = self.r
        lang, topic = conv["lang"], conv["topic"]
        if lang == "de":
            opens, topics, follow, fill = DE_OPEN, DE_TOPICS, DE_FOLLOW, DE_FILL
        else:
            opens, topics, follow, fill = EN_OPEN, EN_TOPICS, EN_FOLLOW, EN_FILL
        parts = []
        if first:
            parts.append(r.choice(opens))
            parts.append(self.fill(r.choice(topics.get(topic) or topics["bill"]), r))
            if r.random() < 0.5:  # a second concern in the same message
                second = topics.get(r.choice(self.topics)) or topics["bill"]
                parts.append(self.fill(r.choice(second), r))
        else:
            parts.append(self.fill(r.choice(follow), r))
        for _ in range(r.randint(0, 2)):
            parts.append(self.fill(r.choice(fill), r))
        if r.random() < 0.00006:
            parts.append("Übrigens: %s!" % r.choice(RARE))
        return " ".join(p for p in parts if p)

    def run(self, out):
        r = self.r
        active = []  # conversations still to be continued
        t = START
        conv_no = 0
        outage_left = 0
        w = out.write
        for i in range(1, self.n + 1):
            if outage_left == 0 and r.random() < 1 / 20000:
                outage_left = r.randint(50, 400)  # an outage wave: many new threads at once
            if outage_left:
                outage_left -= 1
                t += r.expovariate(1 / 5.0)
                new = True
            else:
                t += r.expovariate(1 / self.gap)
                new = len(active) < 300 or r.random() < 0.95 / MEAN_LENGTH
            if new:
                conv_no += 1
                lang = "de" if r.random() < 0.75 else "en"
                c = self.contact(lang)
                conv = {"id": conv_no, "contact": c, "lang": c[3],
                        "topic": "outage" if outage_left else r.choice(self.topics),
                        "left": r.choices(LENGTHS, LENGTH_WEIGHTS)[0], "first": True}
                active.append(conv)
                k = len(active) - 1
            else:
                k = r.randrange(len(active))
                conv = active[k]
            text = self.text(conv, conv["first"])
            conv["first"] = False
            conv["left"] -= 1
            if conv["left"] <= 0:
                active[k] = active[-1]
                active.pop()
            c = conv["contact"]
            ts = datetime.datetime.fromtimestamp(int(min(t, END)), TZ).isoformat()
            w('{"channel":"api","external_id":"m-%d","thread_id":"t-%d","author":{"id":"%s",'
              '"name":"%s","handle":"%s"},"text":%s,"created_at":"%s"}\n'
              % (i, conv["id"], c[0], c[1], c[2], json.dumps(text, ensure_ascii=False), ts))
        return conv_no, len(self.contacts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, required=True)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--out")
    a = ap.parse_args()
    out = open(a.out, "w", encoding="utf-8", buffering=1 << 20) if a.out else sys.stdout
    convs, contacts = Gen(a.messages, a.seed).run(out)
    if a.out:
        out.close()
    print("gen: %d messages, %d conversations, %d contacts" % (a.messages, convs, contacts),
          file=sys.stderr)


if __name__ == "__main__":
    main()
