"""Short documents with reference summaries, written by hand for the course (lesson 18, summarisation).

Twenty short news-style documents of four to six sentences, each with one human-written reference summary of
one or two sentences. The texts are invented (no real people or events) and free to reuse with the course.
They are far too few to *train* a summariser; they are enough to *evaluate* simple extractive summarisers with
ROUGE, and to see what ROUGE rewards.

This module holds data only, never a metric or a summariser (those are what lesson 18 asks learners to write).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SummaryExample:
    """One document and its reference summary. ``document`` holds sentences separated by single spaces, each
    ending with ``.``, ``!`` or ``?``; :func:`sentences` splits it."""

    title: str
    document: str
    summary: str

    def sentences(self) -> list[str]:
        """The document's sentences, in order."""
        return split_sentences(self.document)


def split_sentences(text: str) -> list[str]:
    """Split text written like this module's documents (a sentence ends with ``.``, ``!`` or ``?`` followed by
    a space) into sentences. Not a general sentence splitter: abbreviations such as "Dr." would break it."""
    sentences, start = [], 0
    for index, character in enumerate(text):
        if character in ".!?" and (index + 1 == len(text) or text[index + 1] == " "):
            sentences.append(text[start:index + 1].strip())
            start = index + 1
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    (
        "bridge",
        "The old bridge over the river Lune will close for repairs next Monday. Engineers found cracks in two of "
        "its stone arches during an inspection in March. The repairs are expected to take six months and to cost "
        "about two million pounds. Buses will use a temporary road through the industrial estate. Local shops "
        "fear that fewer customers will reach the town centre while the bridge is closed.",
        "The Lune bridge closes on Monday for six months of repairs to cracked arches; buses will be diverted.",
    ),
    (
        "library",
        "The city library will open on Sundays from next month, the council announced on Tuesday. The change "
        "follows a petition signed by more than three thousand residents. Students had complained that there "
        "was nowhere quiet to work at weekends. Four new staff will be hired to cover the extra hours. The "
        "library will also lend laptops to members for up to two weeks.",
        "After a petition, the city library will open on Sundays, hire four staff and lend laptops.",
    ),
    (
        "heatwave",
        "Temperatures reached thirty-eight degrees in the south of the country on Friday, a record for June. "
        "Hospitals reported a rise in patients suffering from heat exhaustion, most of them elderly. The "
        "government advised people to drink water, stay indoors at midday and check on their neighbours. Several "
        "schools closed early in the afternoon. Forecasters expect the heat to ease by Monday as a storm moves "
        "in from the west.",
        "A record June heatwave sent elderly patients to hospital and closed schools early; it should ease by "
        "Monday.",
    ),
    (
        "robot",
        "A team of students from the technical college won the national robotics contest on Saturday. Their "
        "robot sorted coloured blocks faster than any other machine in the final. The team built it in three "
        "months, mostly from recycled parts. The prize includes a trip to the international contest in Seoul in "
        "the autumn. The college plans to offer a robotics course to all first-year students next year.",
        "Technical college students won the national robotics contest with a block-sorting robot built from "
        "recycled parts.",
    ),
    (
        "bakery",
        "A family bakery that has served the village of Harwick for ninety years will close at the end of the "
        "month. The owners, Tom and Ellen Price, are retiring and could not find a buyer. Customers queued on "
        "Saturday morning to buy a last loaf of the bakery's famous rye bread. The Prices have offered their "
        "recipes to the village school's cooking club. The building will become a house.",
        "Harwick's ninety-year-old family bakery closes this month because its owners retire without a buyer.",
    ),
    (
        "train",
        "Train services between Northam and the coast were cancelled on Wednesday after a landslide blocked the "
        "line. Heavy rain overnight loosened the soil on a steep bank near Cole Valley. No train was passing at "
        "the time and nobody was hurt. The rail company said the line would stay closed for at least a week. "
        "Replacement buses run every thirty minutes.",
        "A landslide after heavy rain closed the Northam coast line for at least a week; nobody was hurt.",
    ),
    (
        "museum",
        "The science museum has opened a new gallery about the human brain. Visitors can test their memory, "
        "watch their own reaction times on a screen and walk through a giant model of a neuron. The gallery took "
        "four years to design with researchers from the university. Entry is free for children under twelve. "
        "The museum expects two hundred thousand visitors in the first year.",
        "The science museum's new interactive brain gallery, designed with university researchers, is free for "
        "young children.",
    ),
    (
        "marathon",
        "More than ten thousand runners took part in the city marathon on Sunday despite strong winds. The men's "
        "race was won by Daniel Okoro in two hours and nine minutes. Maria Lund won the women's race for the "
        "third year in a row. Organisers said the event raised over one million pounds for local charities. "
        "Several streets in the centre stayed closed until the evening.",
        "Daniel Okoro and Maria Lund won a windy city marathon that raised over one million pounds for charity.",
    ),
    (
        "cats",
        "A cat shelter in Brookfield is asking for volunteers after taking in sixty cats in a single week. Most "
        "of the animals came from one house, where an elderly owner could no longer care for them. The shelter "
        "needs people to feed the cats, clean their cages and drive them to the vet. Many of the cats are "
        "healthy and ready for adoption. The shelter will hold an open day on Saturday.",
        "A Brookfield shelter that took in sixty cats in a week needs volunteers and has cats ready for "
        "adoption.",
    ),
    (
        "solar",
        "The town of Westmoor has covered the roofs of its schools with solar panels. The panels produce enough "
        "electricity to power the four schools on most sunny days. The project was paid for by the council and "
        "a local energy cooperative. Pupils can follow the electricity production on screens in their "
        "classrooms. The council says the panels will pay for themselves within eight years.",
        "Westmoor's schools now run on rooftop solar panels on sunny days, a project expected to pay for itself "
        "in eight years.",
    ),
    (
        "flood",
        "The river Avel burst its banks on Thursday night and flooded about two hundred homes in Millbrook. "
        "Firefighters used boats to rescue families from the lower streets. A school and a sports hall were "
        "opened to shelter those who had to leave their houses. The water began to go down on Friday afternoon. "
        "The mayor asked the government for emergency funds to repair the damage.",
        "The Avel flooded two hundred Millbrook homes; families were rescued by boat and the mayor asked for "
        "emergency funds.",
    ),
    (
        "app",
        "A new phone app helps farmers in the valley share tractors and other machines. Farmers list the "
        "machines they are not using, and neighbours can book them by the day. The app was designed by two "
        "sisters who grew up on a dairy farm. More than three hundred farms have joined in six months. The "
        "sisters say sharing machines saves small farms thousands of pounds a year.",
        "Two sisters built an app that lets three hundred valley farms share tractors and save money.",
    ),
    (
        "election",
        "Voters in Eastbury chose a new mayor on Thursday, with a turnout of fifty-two percent. Helen Marsh of "
        "the Green Party won with forty-one percent of the vote. She promised to build more cycle lanes and to "
        "plant ten thousand trees. The outgoing mayor, who served for twelve years, did not stand again. Marsh "
        "will take office on the first of June.",
        "Helen Marsh won Eastbury's mayoral election promising cycle lanes and ten thousand trees.",
    ),
    (
        "whale",
        "A young whale was seen swimming in the harbour of Porthcairn on Tuesday morning. Hundreds of people "
        "gathered on the quay to watch it. Marine experts said the whale was probably lost and in good health. "
        "Boats were asked to keep their distance and to turn off their engines. By the evening the whale had "
        "found its way back to the open sea.",
        "A lost young whale drew crowds in Porthcairn harbour before swimming back to the open sea.",
    ),
    (
        "vaccine",
        "Doctors in the region will start a free flu vaccination campaign for people over sixty-five next week. "
        "The vaccine will be offered in pharmacies as well as in clinics. Last winter, flu sent more than four "
        "hundred people to the regional hospital. Health officials hope to vaccinate three quarters of older "
        "residents by December. People can book an appointment by phone or online.",
        "A free flu vaccination campaign for people over sixty-five starts next week in pharmacies and clinics.",
    ),
    (
        "chess",
        "A twelve-year-old girl from Lenton has become the youngest champion in the history of the national "
        "chess championship. Amira Haddad won eight of her nine games in the tournament. She learned to play "
        "with her grandfather at the age of five. Her coach said she studies chess for two hours every day after "
        "school. Amira will represent the country at the world youth championship.",
        "Twelve-year-old Amira Haddad became the youngest national chess champion and will play at the world "
        "youth championship.",
    ),
    (
        "park",
        "The council has approved a plan to turn an old car park in the centre of Dunford into a public garden. "
        "The garden will have trees, a playground and a small pond. Work will start in September and should end "
        "next spring. Residents voted for the project in a survey last year. Drivers will be able to use a new "
        "car park near the station instead.",
        "An old Dunford car park will become a public garden with trees, a playground and a pond by next "
        "spring.",
    ),
    (
        "strike",
        "Bus drivers in the city will strike for two days next week over pay and working hours. The drivers' "
        "union says wages have not kept up with prices for three years. The bus company has offered a rise of "
        "three percent, which the union rejected. Schools have warned parents that some pupils may be late. "
        "Talks between the two sides will resume on Monday.",
        "City bus drivers will strike for two days over pay after rejecting a three percent offer.",
    ),
    (
        "telescope",
        "Astronomers at the mountain observatory have discovered a comet that will be visible without a "
        "telescope in October. The comet was spotted by a student checking images taken during the night. It "
        "will pass closest to the sun on the fourth of October. Experts say it should be brightest a few days "
        "later, just after sunset. The observatory will open its doors to the public on three evenings that "
        "week.",
        "Astronomers found a comet that will be visible to the naked eye after sunset in October.",
    ),
    (
        "recycling",
        "Households in Greyford will get a third bin for food waste from April. The food will be turned into "
        "compost and gas at a new plant outside the town. The council says food makes up a third of the rubbish "
        "that is now buried. Each home will receive a small kitchen caddy and a supply of paper bags. Collections "
        "will take place every week.",
        "From April, Greyford homes get a weekly food waste bin whose contents will become compost and gas.",
    ),
)

SUMMARY_EXAMPLES: tuple[SummaryExample, ...] = tuple(SummaryExample(*example) for example in _EXAMPLES)


def summary_examples() -> list[SummaryExample]:
    """The course's documents with their reference summaries, in a fixed order (a new list on every call)."""
    return list(SUMMARY_EXAMPLES)
