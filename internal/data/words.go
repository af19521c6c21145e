package data

// The word lists of the synthetic world. They were written for this package; names were chosen so
// that no first name, last name, town part, colour, food or pet name doubles as another (a pet is
// never called like a person, a town never like a region), which keeps every fact unambiguous.

var femaleNames = []string{
	"Mira", "Ann", "Clara", "Elsa", "Nora", "Lena", "Ida", "Rosa", "Greta", "Hanna", "Julia",
	"Maya", "Ruth", "Sara", "Tilda", "Vera", "Alma", "Bella", "Cora", "Dora", "Edith", "Fay",
	"Gwen", "Iris", "June", "Kate", "Lucy", "Mabel", "Nell", "Pearl", "Rita", "Stella", "Tess",
	"Una", "Wendy", "Zoe", "Agnes", "Beth", "Daisy", "Ella", "Flora", "Grace", "Helen", "Ivy",
	"Jane", "Lily", "Martha", "Nina", "Paula", "Rose", "Sofia", "Thea", "Ada", "Eva", "Freya",
	"Lotte", "Maren", "Sigrid", "Tova", "Esther", "Lydia", "Miriam", "Alice", "Emma",
}

var maleNames = []string{
	"Tom", "Ben", "Carl", "Dan", "Erik", "Finn", "Gus", "Hugo", "Ivan", "Jack", "Karl", "Leo",
	"Max", "Ned", "Otto", "Paul", "Rolf", "Sam", "Theo", "Victor", "Walt", "Abel", "Bruno",
	"Cyril", "Dean", "Emil", "Felix", "Glen", "Hans", "Igor", "Jonas", "Kurt", "Lars", "Milo",
	"Nils", "Oscar", "Peter", "Ray", "Simon", "Tobias", "Vince", "Will", "Alan", "Bert", "Colin",
	"Dirk", "Edwin", "Frank", "George", "Henry", "Isak", "Joel", "Kevin", "Luke", "Mark", "Noah",
	"Olaf", "Roy", "Stan", "Ted", "Arne", "Boris", "Casper", "Anton",
}

var lastNames = []string{
	"Olsen", "Berg", "Holm", "Lind", "Dahl", "Strand", "Fisher", "Carter", "Hayes", "Marsh",
	"Reed", "Wood", "Hill", "Park", "Lane", "Crane", "Hart", "Frost", "Mills", "Webb", "Ward",
	"Shaw", "Lowe", "Pike", "Cole", "Dale", "Finch", "Wren", "Rowe", "Thorne", "Vance", "Nash",
	"Hale", "Ives", "Keane", "Lund", "Noble", "Oakes", "Pratt", "Rhodes", "Sharp", "Tate",
	"Wells", "York", "Ames", "Cross", "Drake", "Ellis", "Grant", "Hobbs", "Innes", "Judd", "Kerr",
	"Lyle", "Monk", "Nye", "Orr", "Penn", "Rusk", "Sykes", "Toft", "Voss", "Wilde", "Yates",
	"Ashby", "Barlow", "Doyle", "Emery", "Fenn", "Gale", "Hurst", "Jarvis", "Kemp", "Mercer",
	"Oswin", "Poole", "Quinn", "Royce", "Sutton", "Upton", "Vickers", "Whitlow", "Bishop",
	"Garner", "Moreau", "Novak", "Petrov", "Sandoval", "Tanaka", "Varga",
}

var townHeads = []string{
	"Ash", "Birch", "Bright", "Cedar", "Clay", "Cold", "Copper", "Dun", "East", "Elder", "Fern",
	"Flint", "Gold", "Holly", "Iron", "Kings", "Lark", "Lin", "Mill", "Moor", "North", "Oak",
	"Pine", "Raven", "Rook", "Salt", "South", "Stone", "Thorn", "Wester", "Wolf", "Bram", "Crow",
	"Dove", "Kes", "Lang", "Mar", "Pen", "Rye", "Tarn", "Heron", "Marl",
}

var townTails = []string{
	"haven", "ford", "bury", "wick", "stead", "mere", "field", "dale", "ton", "brook", "holm",
	"by", "gate", "well", "cliff", "mouth", "bridge", "ley", "worth", "stow", "thorpe", "combe",
}

var regionNames = []string{
	"Aldmere", "Brackenshire", "Corrivale", "Dunmarsh", "Eskerland", "Fallowmark", "Greywold",
	"Hearthvale", "Kelloway", "Lowmarch", "Mirrowdown", "Sunder Coast",
}

var riverNames = []string{
	"Alder River", "Brisk River", "Coln River", "Dunnet River", "Fennow River", "Glass River",
	"Harrow River", "Isel River", "Jorrin River", "Kell River", "Lutter River", "Merrow River",
	"Nessel River", "Orrin River", "Pell River", "Quarrel River", "Sallow River", "Tumble River",
	"Umber River", "Wend River",
}

// landmarks are noun phrases without an article.
var landmarks = []string{
	"old stone bridge", "tall clock tower", "white windmill", "lighthouse", "round library",
	"market hall", "ruined castle", "glass greenhouse", "stone circle", "copper fountain",
	"wooden pier", "bell tower", "observatory", "botanical garden", "water mill", "great oak tree",
	"painted chapel", "covered bridge", "open-air theatre", "giant sundial", "salt warehouse",
	"ferry landing", "hilltop fort", "rose garden", "canal lock", "puppet theatre", "tea house",
	"horse fair", "iron gate", "town museum",
}

// products are what a town is famous for ("famous for its cheese").
var products = []string{
	"cheese", "apples", "wool", "pottery", "honey", "lace", "cider", "bread", "glass", "boats",
	"clocks", "rope", "salt", "paper", "candles", "plums", "pears", "hats", "baskets", "tea",
	"violins", "carpets", "sausages", "mustard",
}

// profession describes a job. Makers produce countable goods; the work-day stories use them.
type profession struct {
	name, place       string // "baker", "bakery"
	goods, verb, base string // "loaves of bread", "baked", "bake"; empty for jobs that make nothing countable
}

var professions = []profession{
	{"baker", "bakery", "loaves of bread", "baked", "bake"},
	{"potter", "pottery workshop", "bowls", "made", "make"},
	{"carpenter", "workshop", "chairs", "built", "build"},
	{"fisher", "harbour", "fish", "caught", "catch"},
	{"farmer", "farm", "eggs", "collected", "collect"},
	{"beekeeper", "hives", "jars of honey", "filled", "fill"},
	{"tailor", "tailor's shop", "coats", "sewed", "sew"},
	{"weaver", "weaving shed", "blankets", "wove", "weave"},
	{"blacksmith", "forge", "horseshoes", "forged", "forge"},
	{"candle maker", "candle shop", "candles", "made", "make"},
	{"cook", "inn kitchen", "pies", "cooked", "cook"},
	{"cheesemaker", "dairy", "wheels of cheese", "made", "make"},
	{"glassblower", "glass shop", "vases", "blew", "blow"},
	{"shoemaker", "shoe shop", "pairs of shoes", "made", "make"},
	{"bookbinder", "bindery", "books", "bound", "bind"},
	{"toymaker", "toy shop", "wooden toys", "carved", "carve"},
	{"painter", "studio", "paintings", "painted", "paint"},
	{"miller", "mill", "sacks of flour", "ground", "grind"},
	{"teacher", "school", "", "", ""},
	{"doctor", "clinic", "", "", ""},
	{"nurse", "hospital", "", "", ""},
	{"librarian", "library", "", "", ""},
	{"musician", "concert hall", "", "", ""},
	{"sailor", "harbour", "", "", ""},
	{"innkeeper", "inn", "", "", ""},
	{"gardener", "town garden", "", "", ""},
	{"postal worker", "post office", "", "", ""},
	{"clockmaker", "clock shop", "", "", ""},
}

var colours = []string{
	"red", "blue", "green", "yellow", "orange", "purple", "pink", "white", "black", "brown",
	"grey", "silver", "teal",
}

var foods = []string{
	"apple pie", "fish soup", "pancakes", "roast chicken", "mushroom stew", "plum cake",
	"potato salad", "cheese toast", "onion soup", "honey cake", "rice pudding", "berry tart",
	"lentil stew", "baked beans", "carrot cake", "pea soup", "fried eggs", "noodles", "dumplings",
	"porridge", "pear crumble", "tomato soup", "herring", "meatballs",
}

var animals = []string{
	"cat", "dog", "rabbit", "parrot", "goat", "tortoise", "hamster", "goose", "pony", "canary",
	"ferret", "hedgehog",
}

var petNames = []string{
	"Biscuit", "Pepper", "Muffin", "Ziggy", "Button", "Clover", "Pip", "Noodle", "Maple", "Socks",
	"Toffee", "Whiskers", "Bramble", "Nutmeg", "Domino", "Pickle", "Rusty", "Sprout", "Mochi",
	"Waffle", "Bean", "Tango", "Juniper", "Marble", "Pebble", "Fudge", "Cricket", "Sage", "Comet",
	"Dusty", "Gizmo", "Jasper", "Kiwi", "Lemon", "Mango", "Nacho", "Peanut", "Radish", "Sunny",
	"Taffy", "Velvet", "Yoyo", "Zephyr", "Acorn", "Blossom", "Cocoa", "Ember", "Fable", "Ginger",
	"Hopper", "Inky", "Jelly", "Kipper", "Lulu", "Nimbus", "Patch", "Rascal", "Scout", "Thistle",
	"Truffle", "Wobble",
}

var hobbies = []string{
	"painting", "chess", "fishing", "gardening", "singing", "knitting", "hiking", "reading",
	"baking", "bird watching", "woodcarving", "swimming", "cycling", "dancing",
	"playing the violin", "playing the flute", "collecting stamps", "sailing", "photography",
	"rowing", "juggling", "writing poems", "stargazing", "climbing",
}

// belongings are objects people own; the first word after a colour ("a red bicycle").
var belongings = []string{
	"bicycle", "umbrella", "lamp", "kettle", "clock", "scarf", "hat", "teapot", "guitar", "rug",
	"armchair", "vase", "basket", "blanket", "lantern", "trunk", "mirror", "radio", "bucket",
	"ladder", "sled", "kite", "mug", "coat",
}

// spots are where a belonging is kept, with their preposition.
var spots = []string{
	"in the kitchen", "in the hallway", "in the attic", "in the bedroom", "in the garden shed",
	"in the cellar", "by the front door", "in the living room", "on the porch", "under the stairs",
	"in the study", "in the spare room",
}

// rooms are places in a house that a story character searches (bare nouns).
var rooms = []string{
	"kitchen", "garden", "attic", "cellar", "bedroom", "hallway", "garden shed", "living room",
	"study", "bathroom", "pantry", "laundry room",
}

// countable is a thing that can be counted: singular and plural.
type countable struct{ one, many string }

var items = []countable{
	{"apple", "apples"}, {"pear", "pears"}, {"plum", "plums"}, {"egg", "eggs"},
	{"marble", "marbles"}, {"pencil", "pencils"}, {"stamp", "stamps"}, {"shell", "shells"},
	{"button", "buttons"}, {"cookie", "cookies"}, {"candle", "candles"}, {"book", "books"},
	{"card", "cards"}, {"sticker", "stickers"}, {"coin", "coins"}, {"flower", "flowers"},
	{"acorn", "acorns"}, {"bead", "beads"}, {"carrot", "carrots"}, {"potato", "potatoes"},
	{"lemon", "lemons"}, {"muffin", "muffins"}, {"ribbon", "ribbons"}, {"walnut", "walnuts"},
	{"orange", "oranges"}, {"peach", "peaches"}, {"cherry", "cherries"}, {"tomato", "tomatoes"},
}

// containers for the grouping word problems: singular and plural.
var containers = []countable{
	{"bag", "bags"}, {"box", "boxes"}, {"basket", "baskets"}, {"jar", "jars"},
	{"crate", "crates"}, {"tin", "tins"},
}

var weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

var weathers = []string{"sunny", "rainy", "windy", "foggy", "cold", "warm", "snowy", "grey", "bright"}

var seasons = []string{"spring", "summer", "autumn", "winter"}

var transports = []string{"train", "bus", "boat", "cart", "bicycle", "coach"}

var games = []string{
	"cards", "chess", "dominoes", "a word game", "charades", "a guessing game", "checkers",
}

var hours = []string{
	"nine o'clock", "ten o'clock", "eleven o'clock", "midnight", "half past ten",
}

var numberWords = []string{
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve",
}
