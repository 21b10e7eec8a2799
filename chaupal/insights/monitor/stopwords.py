"""Stop-words left out of a monitor's top terms: English, Hindi (Devanagari) and romanised
Hindi/Hinglish function words, casefolded."""

# ruff: noqa: SIM905  (word lists read better as whitespace-separated text)
from __future__ import annotations

ENGLISH = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever every few for from further get gets got had
    hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's
    like made make many may me more most much must mustn't my myself need no nor not now of off
    on once one only or other ought our ours ourselves out over own please rt same say said
    shall shan't she she'd she'll she's should shouldn't so some still such than that that's the
    their theirs them themselves then there there's these they they'd they'll they're they've
    this those though through to too under until up upon us very via was wasn't we we'd we'll
    we're we've were weren't what what's when when's where where's whether which while who
    who's whom why why's will with won't would wouldn't yes yet you you'd you'll you're you've
    your yours yourself yourselves amp http https www com
    """.split()
)

HINDI = frozenset(
    """
    का के की को से में मैं है हैं था थे थी थीं हो होगा होगी होंगे होता होती होते हुआ हुई हुए
    और या भी ही तो पर ने कि जो जब तब यह ये वह वो वे इस उस इन उन इसे उसे इसका उसका इनका उनका
    इसकी उसकी इसके उसके एक कुछ कोई सब सभी बहुत अब फिर लिए लिये साथ बाद पहले तक द्वारा
    हम हमें हमारा हमारी हमारे आप आपका आपकी आपके आपको तुम तुम्हारा मेरा मेरी मेरे मुझे
    नहीं न मत रहा रही रहे रहें गया गई गए गये कर करें करना करने करते करता करती किया किये
    जा जाता जाती जाते जाएगा जाएगी सकता सकती सकते चाहिए वाला वाली वाले अपना अपनी अपने
    जी श्री यहाँ यहां वहाँ वहां ऐसा ऐसे ऐसी कैसे क्या क्यों कब कहाँ कहां कौन किस किसी
    """.split()
)

HINGLISH = frozenset(
    """
    ka ke ki ko se mein me main hai hain ho hoga hogi honge hota hoti hote hua hui hue tha the
    thi aur ya bhi hi toh to par pe ne ki jo jab tab yeh ye woh wo vo ve is us in un iska uska
    inka unka iski uski iske uske ek kuch koi sab sabhi bahut bohot ab abhi phir fir liye
    saath sath baad pehle tak hum ham hume humein hamara hamari hamare humara humari humare aap
    aapka aapki aapke aapko tum tumhara mera meri mere mujhe nahi nahin na mat raha rahi rahe
    gaya gayi gaye kar karo kare karein karna karne karte karta karti kiya kiye ja jata jati
    jate jayega jayegi sakta sakti sakte chahiye wala wali wale apna apni apne ji shri yahan
    wahan aisa aise aisi kaise kya kyun kyon kyu kab kahan kaun kis kisi bhai hu hoon
    """.split()
)

ALL = ENGLISH | HINDI | HINGLISH
