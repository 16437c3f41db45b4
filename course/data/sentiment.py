"""A small labelled sentiment data set written for the course: English review sentences, 0 = negative, 1 = positive.

Every sentence is written by hand (no template): reviews of films, series, books, music, games, restaurants,
cafés, hotels, products, apps, shops, travel and services. The set is meant to be *varied* rather than easy:

- mild and strong sentiment (*decent enough for the price*, *an absolute masterpiece*);
- negation (*not bad at all* is positive, *not as good as the first one* is negative);
- contrast, where the clause after *but* / *although* decides (*the room was tiny, but spotless and quiet*);
- praise or complaints without obvious sentiment words (*I finished it in one sitting*, *it stopped charging
  after a week*);
- no sarcasm and no neutral sentences: a careful human reader agrees on every label.

Examples::

    >>> from course.data.sentiment import sentiment_splits, LABELS
    >>> splits = sentiment_splits()
    >>> text, label = splits.train[0]
    >>> LABELS[label]

:func:`sentiment_splits` shuffles each class with a seeded generator and cuts it 60 / 20 / 20, so the three
splits are disjoint, balanced and of fixed sizes whatever the seed; no text occurs twice (ignoring case and
spaces) within or across splits.
"""

from __future__ import annotations

import random
from typing import NamedTuple

LABELS = ("negative", "positive")

Example = tuple[str, int]

_POSITIVE = """
# films and series
An absolute masterpiece, I was moved to tears by the final scene.
The acting is superb and the story kept me guessing until the very end.
Not bad at all for a first film; the director clearly has talent.
I laughed from the opening scene to the credits.
A warm, funny and surprisingly wise little film.
The soundtrack alone is worth the ticket.
It starts slowly, but the second half is gripping.
The plot is a little predictable, but the performances make up for it.
I have seen it three times already and I still notice new details.
A thoughtful drama that trusts its audience.
The special effects are modest, yet the film never feels cheap.
Beautifully shot, with a lead actress who carries every scene.
My kids and I enjoyed it equally, which is rare.
The dialogue is sharp and the pacing is perfect.
I expected a silly comedy and got a clever, touching story instead.
One of the best documentaries I have watched in years.
The final episode tied every thread together beautifully.
I could not stop watching; I finished the whole season in a weekend.
The series only gets better as it goes on.
It is long, but I never once checked my watch.
The villain is genuinely frightening and the hero is easy to root for.
A lovely, gentle film that left me smiling for days.
Not a perfect movie, but a very enjoyable one.
The animation is gorgeous and the voices are spot on.
Smart, tense and never boring.
The remake is better than the original, which I did not think possible.
I went in with low expectations and came out delighted.
Every actor seems to be having the time of their life.
The twist is earned, not cheap.
A small budget, a big heart, and a wonderful cast.
# books
I finished it in one sitting and immediately wanted to read it again.
The characters feel like real people I have known for years.
Her prose is clear, elegant and never showy.
A page-turner with a surprisingly moving ending.
The first chapters are slow, but it rewards your patience.
I learned more from this book than from a whole semester of lectures.
The translation reads as if it had been written in English.
A clever mystery with a solution I did not see coming.
This cookbook has become the most used book in our kitchen.
The illustrations are charming and my daughter asks for it every night.
It is not an easy read, but it is absolutely worth the effort.
A funny, honest memoir that I keep recommending to friends.
The author explains difficult ideas without ever talking down to the reader.
I was sad when it ended because I wanted to stay in that world.
The poems are short, but each one stayed with me.
Well researched and a pleasure to read.
The sequel is even better than the first book.
A gripping thriller that kept me up until two in the morning.
The guidebook was accurate, up to date and easy to carry.
I did not expect a book about accounting to be this entertaining.
# music, shows, games
The band sounded even better live than on the record.
Every song on this album is a small gem.
The concert started late, but it was worth every minute of the wait.
The acoustics in the new hall are wonderful.
A brilliant production with a cast full of energy.
The game is challenging without ever feeling unfair.
I have played it for a hundred hours and I am still finding secrets.
The controls are smooth and the levels are cleverly designed.
The puzzles are tricky, but solving them feels great.
A relaxing game with lovely music, perfect after a long day.
The comedian had the whole room in tears of laughter.
The museum's new exhibition is fascinating and well organised.
The tour guide was knowledgeable, funny and patient with our questions.
The orchestra played with real passion.
This board game has become a family favourite.
# restaurants and cafés
The food was delicious and the staff were lovely.
Best pizza I have had outside of Italy.
The portions are generous and the prices are fair.
Not cheap, but every dish was excellent.
The waiter remembered our order from last time, a nice touch.
The soup was rich and full of flavour.
We waited a little for a table, but the meal was worth it.
Fresh ingredients, friendly service and a cosy room.
The desserts are out of this world.
A hidden gem; we will definitely be back.
The coffee is strong and smooth, exactly how I like it.
They made a vegan version of the dish without any fuss.
The fish was perfectly cooked and the sauce was wonderful.
The bakery's croissants are flaky, buttery and still warm in the morning.
Small menu, but everything on it is done well.
The staff went out of their way to make my mother's birthday special.
Quick lunch, good value, and the salad was really fresh.
The curry had just the right amount of heat.
I did not expect much from a motorway café, but the sandwiches were great.
The chef came out to ask how we liked the food, and we loved it.
The noodles were springy and the broth was deep and rich.
Lovely terrace with a view over the harbour and very good seafood.
It is a bit noisy on weekends, but the food makes up for it.
The tea selection is impressive and the scones were excellent.
Our table was ready on time and the service was attentive without being intrusive.
The tasting menu was an unforgettable experience.
Simple food, cooked with care.
The burger was juicy and the chips were crisp.
A wonderful little place run by a very welcoming family.
The wine list is short but well chosen, and the waiter gave good advice.
# hotels and travel
The room was small, but spotless and very quiet.
The staff at the front desk were helpful and friendly.
Great location, right next to the station and the old town.
The bed was so comfortable that I slept better than at home.
Breakfast had a huge choice and everything was fresh.
The view from our balcony was breathtaking.
They upgraded us to a suite for our anniversary, which was very kind.
The pool was clean and never crowded.
The hotel is old, but it has been beautifully renovated.
Check-in took two minutes and our room was ready early.
The flight landed early and the crew were cheerful throughout.
The train was comfortable, on time and had working wifi.
Our host left us a map with her favourite places, which was very useful.
The cabin was cosy and the hiking trails start right outside the door.
The bus was a little slow, but the driver was friendly and the seats were comfortable.
A peaceful hotel with a lovely garden and excellent service.
The airline found my lost suitcase and delivered it to the hotel the same day.
The apartment was exactly as described and spotlessly clean.
The cruise was well organised and the excursions were fantastic.
Housekeeping was discreet and the room was always tidy.
# products
The battery easily lasts two days.
Sturdy, well made and easy to assemble.
The sound quality is excellent for such a small speaker.
It does exactly what it promises.
The screen is bright and sharp, even in sunlight.
I was sceptical, but this blender crushes ice in seconds.
Comfortable shoes that I wore all day without any pain.
The jacket kept me dry through a whole day of heavy rain.
After six months of daily use it still works like new.
The instructions were clear and setup took five minutes.
Light, fast and quiet: the best laptop I have owned.
Not the cheapest vacuum cleaner, but it is worth every penny.
The camera takes lovely photos even in low light.
These headphones block out the noise on the train perfectly.
The fabric is soft and it did not shrink in the wash.
A simple kettle that boils quickly and looks nice on the counter.
The backpack has plenty of pockets and fits my laptop snugly.
My old phone was slow; this one is fast and the battery lasts.
The mattress took a week to get used to, and now I sleep wonderfully.
The knife is sharp, well balanced and a pleasure to use.
The colours are even nicer in person than in the photos.
The printer connected to the wifi on the first try.
Solid build quality and a five year warranty.
The chair is comfortable for long working days.
The lamp gives a warm, pleasant light.
It is a little heavy, but it feels very solid and reliable.
The watch is elegant and the strap is comfortable.
Great value for money; I bought a second one for my sister.
The tent went up in ten minutes and stayed dry in a storm.
The pan heats evenly and nothing sticks to it.
The keyboard is a joy to type on.
The charger is tiny and charges my phone very quickly.
This toy has kept my son busy for hours.
The scarf is warm and beautifully knitted.
The bike rides smoothly and the gears change without a sound.
The coffee machine makes a better espresso than my local café.
These glasses are not cheap, but they are very well made.
The paint covered the wall in a single coat.
A great little drill for jobs around the house.
The suitcase survived three flights without a scratch.
# apps, software and services
The app is simple, fast and does not drain my battery.
The latest update fixed every problem I had.
Customer service replied within an hour and solved my problem.
The delivery arrived a day earlier than promised.
The plumber was on time, tidy and charged exactly what he quoted.
Easy to use, even for my grandmother.
The online course was well structured and the teacher explained everything clearly.
My parcel was well packed and arrived in perfect condition.
The bank's new website is clean and easy to navigate.
They refunded me quickly and without any questions.
The gym is clean, the equipment is modern and the staff are friendly.
The hairdresser listened to what I wanted and the cut is perfect.
The mechanic found the problem quickly and did not overcharge me.
I switched to this provider last year and the connection has never dropped.
The yoga class was calm, well paced and suitable for beginners.
The dentist was gentle and explained every step.
A reliable service at a fair price.
The cleaning company did a thorough job and left the flat spotless.
The software has a learning curve, but once you know it, it saves hours.
The support team stayed on the phone with me until everything worked.
The language app makes practising every day feel like a game.
The note-taking app syncs instantly across all my devices.
The taxi arrived within five minutes and the driver was very polite.
The shop assistant helped me find the right size without any pressure to buy.
Ordering was easy and the tracking was accurate.
The map app guided us through the old town without a single wrong turn.
The photo editor is powerful but still easy to learn.
The vet was kind to our nervous dog and explained the treatment carefully.
The library's new reading room is bright and peaceful.
The repair shop replaced my screen in under an hour.
# mixed, mild and hard cases
I was not disappointed in the slightest.
Better than I expected in almost every way.
There is nothing I would change about it.
I would happily pay full price for this again.
I cannot think of a single thing to complain about.
It is not flashy, but it is reliable and does the job well.
Not the fanciest place in town, but the friendliest.
I did not think I would like it, but I loved it.
It will not win any design awards, but it works perfectly.
Decent enough for the price, and it arrived quickly.
It is fine for everyday use and I am happy with it.
Pleasantly surprised by how good it was.
No complaints at all, it has been great.
I never have to worry about it breaking down.
Some small flaws, but overall a very good experience.
The beginning was shaky, but by the end I was completely won over.
It took a while to arrive, but it was worth the wait.
I was worried it would be too spicy, but it was just right.
The reviews were mixed, but I really enjoyed it.
Not what I ordered at first, but they fixed it immediately and apologised.
I keep coming back, and it has never let me down.
Exactly what I needed.
Highly recommended.
I would give it six stars if I could.
Five stars, without hesitation.
Still my favourite after all these years.
You can tell that a lot of care went into it.
I have already recommended it to half of my friends.
It made my week.
Worth every minute.
"""

_NEGATIVE = """
# films and series
A dull, lifeless film that I struggled to finish.
The plot makes no sense and the ending is a cheat.
The acting is wooden and the dialogue is painful.
Not as good as the first one, and the first one was only average.
Two and a half hours of my life that I will never get back.
The trailer showed every good scene in the movie.
The jokes fall flat and the story drags.
Beautiful to look at, but there is nothing underneath.
The first episode was promising, but the series quickly lost its way.
I fell asleep halfway through and did not bother to finish it.
A lazy sequel that simply repeats the original.
The music is so loud that you cannot hear what anyone says.
The characters are cardboard cut-outs and I did not care about any of them.
Great cast, terrible script.
It tries to be deep and ends up being pretentious.
The twist is obvious from the first ten minutes.
Far too long, and the last hour goes nowhere.
The final season ruined everything the earlier ones had built.
I wanted to like it, but it was just boring.
The special effects look cheaper than a school play.
A confusing mess from start to finish.
The lead actor seems bored in every scene.
The editing is so choppy that the action scenes are impossible to follow.
It is not funny, not scary and not even interesting.
The director clearly had no idea how to end the story.
I expected a thriller and got ninety minutes of people talking in a kitchen.
The documentary is one-sided and full of errors.
The dubbing is awful and the subtitles do not match.
A promising idea wasted on a weak script.
Even the children were bored.
# books
I gave up after fifty pages.
The characters are flat and the plot is predictable.
The book is full of typos and the pages started falling out.
A great premise, but the writing is clumsy and repetitive.
The ending felt rushed, as if the author had lost interest.
The translation is so stiff that it is hard to read.
It is marketed as a thriller, but nothing happens for three hundred pages.
The recipes do not work; two of the cakes collapsed.
The author spends more time on descriptions than on the story.
The guidebook was badly out of date and half the restaurants had closed.
Not a single character I could care about.
The sequel is a pale copy of the first book.
The arguments are shallow and the sources are unreliable.
I found the narrator irritating from the first page.
The cover is lovely, but the story inside is forgettable.
Too long, too slow, and too pleased with itself.
The textbook explains nothing and is full of mistakes.
A mystery whose solution makes no sense at all.
The paperback fell apart after one read.
It was not as funny as the reviews promised.
# music, shows, games
The sound at the concert was muddy and far too loud.
The band played for forty minutes and left without an encore.
The album has one good song and eleven fillers.
We paid for front row seats and could not see the stage.
The play was so long that half the audience left at the interval.
The game crashes every time I try to save.
The levels are repetitive and the story is paper thin.
The controls are clumsy and the camera keeps getting stuck.
It is a full-price game with the content of a demo.
Too many ads, and you have to pay to unlock the actual game.
The comedian repeated the same three jokes all night.
The exhibition was tiny and most of the rooms were closed.
The tour guide rushed us through and could not answer basic questions.
The puzzles are not challenging, just confusing.
The board game's rules are so unclear that we gave up after an hour.
# restaurants and cafés
The food was cold and the waiter was rude.
We waited an hour for our main course.
Overpriced, underseasoned and served on a dirty plate.
The pizza was soggy in the middle and burnt at the edges.
The staff ignored us for twenty minutes before taking our order.
The portions are tiny for the price.
The soup tasted like it came from a tin.
Nice decor, but the food was very disappointing.
The coffee was bitter and lukewarm.
They got our order wrong twice and did not apologise.
The fish smelled off and we sent it back.
The restaurant was so noisy that we could not hear each other.
The menu looks great, but nothing we ordered matched the description.
I found a hair in my salad and the manager just shrugged.
The steak was tough and the chips were limp.
Not worth the price, and not worth the wait.
The dessert was so sweet that we could not finish it.
The croissants were stale and the tea was weak.
We booked a table by the window and were seated next to the toilets.
The service charge was added twice to our bill.
The curry was watery and had almost no flavour.
The room was freezing and nobody offered to close the door.
The burger was dry and the bun was falling apart.
The tasting menu was pretentious and left us hungry.
Friendly staff, but the food was bland and overcooked.
The place was dirty and the tables were sticky.
The wine we ordered was not available and the replacement was awful.
The noodles were overcooked and the broth was far too salty.
The bakery has gone downhill since the new owners took over.
We will not be going back.
# hotels and travel
The room smelled of smoke and the sheets were stained.
The air conditioning did not work and nobody came to fix it.
The photos online must have been taken twenty years ago.
The walls are so thin that we heard every word from next door.
Breakfast was a few stale rolls and a pot of weak coffee.
The pool was closed for the whole week of our stay.
The location is good, but the room was filthy.
The receptionist was unhelpful and rather rude.
We were charged for a minibar we never opened.
There was construction noise from seven in the morning.
The flight was delayed by six hours with no explanation.
The airline lost my suitcase and nobody answered the phone.
The train was so crowded that we stood for three hours.
The apartment looked nothing like the pictures.
The shower was either scalding or freezing.
The bed was so uncomfortable that I barely slept.
The cruise ship was overcrowded and the food was poor.
The hotel was nowhere near the beach, despite what the website said.
The bus broke down and we waited two hours for a replacement.
Housekeeping never came and we had to ask three times for towels.
# products
The battery barely lasts half a day.
It stopped charging after a week.
Cheap plastic that cracked the first time I dropped it.
The instructions were useless and two screws were missing.
The sound is tinny and distorted at any volume.
It does not do half of what the description promises.
The screen scratches if you so much as look at it.
The blender leaks every time I use it.
The shoes gave me blisters on the first day.
The jacket is supposed to be waterproof, but I was soaked in ten minutes.
After two months it started making a horrible grinding noise.
The laptop overheats and the fan is incredibly loud.
The vacuum cleaner loses suction after a few minutes.
The colour is nothing like the photo.
The shirt shrank two sizes in the first wash.
The kettle leaves a plastic taste in the water.
The zip on the backpack broke within a week.
The phone freezes several times a day.
The mattress is so soft that I wake up with back pain.
The knife was blunt straight out of the box.
The printer refuses to connect to the wifi.
The chair wobbles and the armrest came off.
The lamp flickers constantly.
The watch stopped working after three days.
Not worth the money; it feels like a cheap toy.
The tent leaked during the first light shower.
The pan's coating started peeling after a month.
Half the keys on this keyboard do not register properly.
The charger gets dangerously hot.
The toy broke within an hour and the pieces are sharp.
The scarf is scratchy and smells of chemicals.
The gears on the bike slip constantly.
The coffee machine leaks water all over the counter.
The glasses arrived with a scratch on one lens.
The paint is streaky even after three coats.
The drill's battery died after ten minutes of work.
The suitcase wheel snapped off on its first trip.
The headphones hurt my ears after half an hour.
It looks nice, but it broke the second time I used it.
The camera's photos are blurry unless the light is perfect.
# apps, software and services
The app crashes every time I open it.
The latest update made everything slower.
Customer service kept me on hold for an hour and then hung up.
The parcel arrived a week late and the box was crushed.
The plumber turned up three hours late and made the leak worse.
The app drains my battery and is full of adverts.
The online course was just a set of badly recorded slides.
They still have not refunded me after two months.
The website logs me out every few minutes.
The gym is dirty and half the machines are broken.
The hairdresser ignored what I asked for and cut it far too short.
The mechanic charged me for repairs he never did.
The internet connection drops every evening.
The yoga class was overcrowded and the teacher never corrected anyone.
The dentist was in a hurry and did not explain anything.
The cleaning company missed half the rooms.
The software is confusing and the help pages are useless.
I had to explain my problem to five different people.
The language app keeps forgetting my progress.
The new version removed the only feature I actually used.
The taxi never arrived and the company would not answer.
The shop assistant was pushy and kept trying to sell me things I did not need.
The tracking said delivered, but the parcel never came.
The map app sent us down a road that had been closed for months.
The photo editor is slow and keeps freezing on large images.
The vet charged us a fortune and did not even examine the dog properly.
The library has cut its opening hours and the wifi never works.
The repair shop kept my phone for three weeks and it is still broken.
The subscription is impossible to cancel.
The checkout page kept failing and I was charged twice.
# mixed, mild and hard cases
Not great, not terrible, just disappointing.
I really wanted to love it, but I could not.
The idea is good, but the execution is poor.
It looked promising at first, but it fell apart quickly.
I expected much more for the price.
It was fine for a day, and then the problems started.
Nice packaging, shame about the product.
The staff were friendly, but that does not make up for the terrible food.
Some good moments, but overall a letdown.
I would not recommend it to anyone.
Not what I was hoping for.
I returned it the next day.
It is not worth the hype.
Good reviews, but I cannot see why.
Everything about it feels rushed.
I will not be buying from them again.
A waste of money.
It is not as good as it used to be.
It works, but only just, and not for long.
Avoid.
Nothing about it was memorable.
Sadly, it did not live up to its reputation.
I have never been so disappointed by a brand I used to trust.
It is nice to look at, but completely impractical.
One star, and only because zero is not an option.
The first week was fine, but since then it has been one problem after another.
Too expensive for what you get.
They promised a lot and delivered very little.
I regret buying it.
Save your money and go somewhere else.
"""


def _parse(block: str) -> list[str]:
    return [line.strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def normalise(text: str) -> str:
    """The key under which two texts count as duplicates: lower case, single spaces."""
    return " ".join(text.lower().split())


def examples() -> list[Example]:
    """Every labelled sentence of the set, in the written order: positives first, then negatives."""
    return [(text, 1) for text in _parse(_POSITIVE)] + [(text, 0) for text in _parse(_NEGATIVE)]


class Splits(NamedTuple):
    """Train / validation / test lists of ``(text, label)``; label 0 = negative, 1 = positive."""

    train: list[Example]
    valid: list[Example]
    test: list[Example]


FRACTIONS = (0.6, 0.2, 0.2)


def sentiment_splits(seed: int = 0) -> Splits:
    """A stratified 60 / 20 / 20 split of :func:`examples`, deterministic from ``seed``.

    Each class is shuffled with ``random.Random(seed)`` and cut at the same fractions, so the sizes and the
    class balance do not depend on the seed; each split is then shuffled so that labels are interleaved.
    """
    rng = random.Random(seed)
    parts: tuple[list[Example], list[Example], list[Example]] = ([], [], [])
    for label in range(len(LABELS)):
        group = [example for example in examples() if example[1] == label]
        rng.shuffle(group)
        n_train = round(FRACTIONS[0] * len(group))
        n_valid = round(FRACTIONS[1] * len(group))
        parts[0].extend(group[:n_train])
        parts[1].extend(group[n_train:n_train + n_valid])
        parts[2].extend(group[n_train + n_valid:])
    for part in parts:
        rng.shuffle(part)
    return Splits(*parts)
