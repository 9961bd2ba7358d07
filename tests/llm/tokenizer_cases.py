"""Tokenizer test strings: each kind the issue names (whitespace, digits,
punctuation, contractions, code, URLs, accents, CJK, emoji, control-token
text, very long words), plus combinations of them."""

BASIC = [
    "", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n", "\n ", "\t\t", " \t ", "\n\n\n   \n",
    "a", "A", "Hello", "Hello world", "Hello world!", " Hello", "Hello ", "  Hello  ", "hello\tworld",
    "hello\nworld", "hello \nworld", "hello\n\nworld", "hello  world", "hello   world", "trailing   ",
    "The quick brown fox jumps over the lazy dog.", "Once upon a time, there was a little penguin.",
    "What is the capital of France?", "Tell me a story about a brave little penguin.",
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
]

DIGITS = [
    "0", "7", "12", "123", "1234", "12345", "1234567890", "3.14159", "-42", "+1 (555) 123-4567",
    "2026-11-24", "10:30 am", "1,000,000", "1e-9", "0x1F", "v2.3.1", "a1b2c3", "99 bottles", " 42",
    "x = 1000000007;", "٣٤٥", "²³", "Ⅻ", "½ cup", "१२३",
]

PUNCT = [
    "!", "!!", "?!", "...", "--", "—", "(hi)", "[x]", "{y}", "<z>", "\"quoted\"", "'single'",
    "a, b; c: d.", "#hashtag", "@user", "$100", "50%", "a&b", "a|b", "~tilde", "^caret", "`tick`",
    "«guillemets»", "„Anführung“", "¿Qué?", "¡Hola!", "…", "•bullet", "©®™", "→⇒", "∑∫√",
]

CONTRACTIONS = [
    "don't", "I'm", "you're", "we've", "he'll", "she'd", "it's", "can't", "won't", "y'all",
    "DON'T", "I'M", "YOU'RE", "WE'VE", "HE'LL", "SHE'D", "IT'S", "It'S", "we'Ve",
    "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'x", "''s", "' s", " 's", "rock 'n' roll",
    "the dog's bone", "o'clock", "'quoted'", "I'd've", "'LL", "'Re",
]

CODE = [
    "def f(x):\n    return x * 2\n",
    "int main(void) {\n\treturn 0;\n}\n",
    "for (int i = 0; i < n; i++) { a[i] += b[i]; }",
    "if x == 3 and y != 4:\n        pass",
    "    indented\n        more\n    less",
    "console.log(`value: ${v}`);",
    "SELECT * FROM users WHERE id = 42;",
    "#include <stdio.h>\n#define MAX(a, b) ((a) > (b) ? (a) : (b))",
    "x+=1;y-=2;z*=3;w/=4;",
    "lambda x: x**2 // 3 % 5",
    "<div class=\"main\">Hi</div>",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "$ ls -la /home/user && echo done",
    "fn main() -> Result<(), Box<dyn Error>> { Ok(()) }",
    "a_b_c __init__ CamelCase snake_case kebab-case",
    "\tmixed \t tabs\t\tand  spaces ",
    "\r\n\r\nwindows\r\nlines\r\n",
]

URLS = [
    "https://example.com", "http://example.com/a?b=c#d", "https://huggingface.co/HuggingFaceTB/SmolLM2-135M",
    "ftp://files.example.org/pub/file.tar.gz", "mailto:user@example.com", "user.name+tag@sub.domain.co.uk",
    "www.example.com/path/to/page.html", "C:\\Users\\Me\\file.txt", "/usr/local/bin/python3",
    "https://例え.jp/パス", "192.168.0.1:8080",
]

ACCENTS = [
    "café", "Café déjà vu.", "naïve", "Ångström", "Übermäßig", "señor", "façade", "Øresund", "Łódź",
    "Dvořák", "crème brûlée", "ÀÉÎÕÜ", "e\u0301", "n\u0303o", "Straße", "ﬁ ligature", "İstanbul",
    "Ελληνικά", "Русский текст", "Україна", "עברית", "العربية", "हिन्दी", "ไทย", "Tiếng Việt",
]

CJK = [
    "日本語", "日本語のテキスト", "中文字符", "你好，世界！", "한국어", "안녕하세요", "漢字とかなカナ",
    "東京タワー 2026年", "「引用」", "ｆｕｌｌｗｉｄｔｈ", "㈱", "丁丂七丄丅", "𠀀𠀁",
]

EMOJI = [
    "🐧", "🐧🎉", "emoji 🐧 here", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "☺", "🙂🙃", "✅ done",
    "🤖 robots 🤖", "😀" * 5, "a🐧b", "🏳️‍🌈",
]

CONTROL_TEXT = [
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start|>user\nHello<|im_end|>\n",
    "text <|im_end|> more", "<repo_name>", "<filename>main.c", "<|im_end", "|im_end|>", "<s>", "</s>",
    "<unk>", "[INST] hi [/INST]", "<start_of_turn>user", "<|eot_id|>",
]

WHITESPACE = [
    "\u00a0", "a\u00a0b", "\u2003em space", "zero\u200bwidth", "\u3000ideographic", "line\u2028sep",
    "\x0b\x0c", "\x1c\x1d\x1e\x1f", "a\x85b", "tab\tin\tthe\tmiddle", " \t\n\r ", "\n\ttext",
    "word\n", "word \n", "word  \n\n", "end.\n\n\nNext", "a \u00a0 b",
]

CONTROL_CHARS = ["\x00", "a\x00b", "\x01\x02\x03", "\x7f", "bell\x07", "\x1b[31mred\x1b[0m"]

LONG = [
    "a" * 300,
    "supercalifragilisticexpialidocious" * 10,
    "Pneumonoultramicroscopicsilicovolcanoconiosis",
    "x" * 1000 + " " + "y" * 1000,
    " " * 100,
    "\n" * 50,
    "1" * 200,
    "ab" * 400,
    "日本" * 200,
    "🐧" * 100,
    "The quick brown fox. " * 60,
    "-" * 120 + "=" * 120,
]

# Combinations: each kind glued to the others, with and without spaces.
_kinds = [BASIC[21], DIGITS[8], PUNCT[11], CONTRACTIONS[0], CODE[0], URLS[1], ACCENTS[1], CJK[3],
          EMOJI[2], CONTROL_TEXT[3], WHITESPACE[1]]
MIXED = [a + sep + b for i, a in enumerate(_kinds) for b in _kinds[i + 1:i + 3] for sep in ("", " ")]

CASES = (BASIC + DIGITS + PUNCT + CONTRACTIONS + CODE + URLS + ACCENTS + CJK + EMOJI + CONTROL_TEXT
         + WHITESPACE + CONTROL_CHARS + LONG + MIXED)
