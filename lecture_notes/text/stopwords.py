"""The one stopword list (English function words plus spoken-lecture fillers), and the words that carry no
topic in a lecture (kept as content words, but never a key phrase on their own)."""
from __future__ import annotations

STOPWORDS = frozenset("""
a about above actually after again against all almost alright also although always am among an and another any
anybody anyhow anyone anything anyway anywhere are aren't around as at away back basically be became because become
becomes been before being below between both but by can can't cannot certainly could couldn't did didn't do does
doesn't doing don't done down during each either else enough er erm etc even ever every everybody everyone
everything few for from further get gets getting give given gives go goes going gone gonna got gotta gotten had
hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his hmm how how's
however i i'd i'll i'm i've if in into is isn't it it'd it'll it's its itself just kind kinda know least less let
let's like likely lot lots made make makes many may maybe me mhm might mine mm more most mostly much must mustn't my
myself near need needs neither never next no nobody none nor not nothing now of off often oh ok okay on once one
ones only onto or other others otherwise ought our ours ourselves out over own per perhaps please put quite rather
really right said same say says see seem seemed seems shall she she'd she'll she's should shouldn't since so some
somebody someone something sometimes somewhat sort still such sure take than that that's the their theirs them
themselves then there there's therefore these they they'd they'll they're they've thing things think this those
though through thus to today together too toward towards uh uh-huh um under unless until up upon us use used uses
using very via wanna want was wasn't way we we'd we'll we're we've well went were weren't what what's whatever when
when's whenever where where's whereas whether which while who who's whoever whole whom whose why why's will with
within without won't would wouldn't yeah yes yet you you'd you'll you're you've your yours yourself yourselves
""".split())

# Spoken-lecture words that carry no topic; excluded from key phrases (not from content words).
GENERIC_WORDS = frozenset("""
able ago already answer ask asked back bad begin best better big bit came case cases certain class come comes course
day days different does end example examples fact far feel few find first five four good great guess hand happen
happens hear heard important interesting kinds know known last later lecture let little long look looked looking
looks lots mean means mention mentioned minute minutes moment new next number old order part particular people place
point points possible pretty probably question questions read reason remember saw second seen sense show shown side
simple small start started stop talk talked talking tell terms thank thanks think thinking third thought three time
times today true try trying turn two understand want wanted week weeks went word words work works world year years
""".split())
