/* gen_product.c: synthetic Segment-style product events (see gen_product.h
 * and docs/gen.md, "Product events").
 *
 * Layout of this file:
 *   catalogues      user agents, locales, pages, products, event names and
 *                   their property sets (fixed: the same for every seed)
 *   the model       per message: type, identity (user, device), times, body
 *   output order    hour by hour, sorted by receivedAt, merged with the rows
 *                   that cross an hour and the late (held) rows; duplicates
 *   rendering       hand-written JSON (no printf per field)
 *   summary, CLI
 */
#include "gen/gen_product.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "gen/gen_cli.h"
#include "gen/rng.h"
#include "util/progress.h"
#include "util/time.h"

#define MS_HOUR INT64_C(3600000)
#define MS_DAY INT64_C(86400000)
#define LINE_MAX_BYTES 8192     /* no message is longer (checked when rendering) */
#define SKEW_CAP_MS 300000      /* receivedAt - timestamp, on-time messages: at most 5 minutes */
#define NPRODUCTS 500
#define ZIPF_EVENTS 1.1         /* event popularity: weight of rank k ~ k^-1.1 */
#define ZIPF_PAGES 1.0
#define P_PAGE 0.15
#define P_IDENTIFY 0.05
#define P_ANONYMOUS 0.30        /* of all messages: no userId */
#define P_NO_ANON_ID 0.02       /* of identified messages: userId only (server-side library) */
#define P_CAMPAIGN 0.10
#define P_EXTRA_CONTEXT 0.03
#define P_EXTRA_TOP 0.02
#define VISITORS_PER_ROW 0.125  /* pool of anonymous-only visitors: rows / 8 */

/* ------------------------------------------------------------------ strings */

typedef struct str_t {
    const char *s;
    uint32_t n;
} str_t;
#define S(x) {x, sizeof(x) - 1}
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Values are written as they appear between the quotes of a JSON string:
 * already escaped where needed (some search terms carry \" and \\), UTF-8
 * elsewhere. */

enum { PLAT_WEB = 0, PLAT_IOS, PLAT_ANDROID, PLAT_SERVER };

typedef struct ua_def {
    str_t ua, os_name, os_version;
} ua_def;
static const ua_def UA_WEB[] = {
    {S("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"), S("Windows"), S("10")},
    {S("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"), S("Mac OS X"), S("10.15.7")},
    {S("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15"), S("Mac OS X"), S("10.15.7")},
    {S("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0"), S("Windows"), S("10")},
    {S("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66"), S("Windows"), S("10")},
    {S("Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"), S("iOS"), S("17.3")},
    {S("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.64 Mobile Safari/537.36"), S("Android"), S("14")},
    {S("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36"), S("Linux"), S("")},
};
static const uint8_t UA_WEB_W[] = {34, 22, 14, 7, 8, 8, 5, 2}; /* percent */
static const ua_def UA_IOS[] = {
    {S("ExampleShop/5.12.0 (iPhone; iOS 17.3.1; Scale/3.00)"), S("iOS"), S("17.3.1")},
    {S("ExampleShop/5.11.2 (iPhone; iOS 16.7.5; Scale/3.00)"), S("iOS"), S("16.7.5")},
    {S("ExampleShop/5.12.0 (iPad; iOS 17.2; Scale/2.00)"), S("iPadOS"), S("17.2")},
};
static const ua_def UA_ANDROID[] = {
    {S("Dalvik/2.1.0 (Linux; U; Android 14; SM-S918B Build/UP1A.231005.007)"), S("Android"), S("14")},
    {S("Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230901.001)"), S("Android"), S("13")},
    {S("Dalvik/2.1.0 (Linux; U; Android 12; moto g(30) Build/S0RCS32.41-10-19-5)"), S("Android"), S("12")},
};
static const str_t LIB_NAME[] = {S("analytics.js"), S("analytics-ios"), S("analytics-android"), S("analytics-node")};
static const str_t LIB_VER_WEB[] = {S("next-1.62.0"), S("next-1.63.0"), S("next-1.64.0")};
static const str_t LIB_VER_IOS[] = {S("4.1.8"), S("4.1.7")};
static const str_t LIB_VER_ANDROID[] = {S("4.11.3"), S("4.10.4")};
static const str_t LIB_VER_SERVER[] = {S("6.2.0")};

static const str_t LOCALES[] = {S("en-US"), S("en-GB"), S("de-DE"), S("fr-FR"), S("es-ES"), S("pt-BR"), S("ja-JP"),
                                S("nl-NL"), S("it-IT"), S("en-CA"), S("en-AU"), S("pl-PL"), S("sv-SE"), S("ko-KR"),
                                S("es-MX")};
static const uint8_t LOCALES_W[] = {40, 8, 8, 7, 5, 6, 5, 3, 3, 3, 3, 2, 2, 2, 3};
static const uint8_t IP_FIRST[] = {24, 31, 37, 45, 50, 62, 66, 73, 76, 81, 84, 88, 91, 98, 104, 109, 142, 151, 173, 176, 185, 188, 203, 212, 217};

static const str_t CAMPAIGN_NAME[] = {S("spring_sale"), S("black_friday"), S("welcome_series"), S("retargeting_q2"),
                                      S("brand_search"), S("newsletter_2024_03"), S("product_launch")};
static const str_t CAMPAIGN_SOURCE[] = {S("google"), S("facebook"), S("newsletter"), S("twitter"), S("linkedin"), S("bing")};
static const str_t CAMPAIGN_MEDIUM[] = {S("cpc"), S("email"), S("social"), S("display"), S("organic")};
static const str_t REFERRERS[] = {S("https://www.google.com/"), S("https://www.bing.com/"), S("https://t.co/"),
                                  S("https://www.facebook.com/"), S("https://news.ycombinator.com/"), S("https://duckduckgo.com/")};
#define SITE "https://shop.example.com"

/* people (display name, ASCII for the e-mail) */
typedef struct name_def {
    str_t disp, ascii;
} name_def;
static const name_def FIRST[] = {
    {S("Emma"), S("emma")},     {S("Liam"), S("liam")},       {S("Olivia"), S("olivia")},   {S("Noah"), S("noah")},
    {S("Ava"), S("ava")},       {S("Lucas"), S("lucas")},     {S("Mia"), S("mia")},         {S("Mateo"), S("mateo")},
    {S("Sofía"), S("sofia")},   {S("José"), S("jose")},       {S("Zoë"), S("zoe")},         {S("Łukasz"), S("lukasz")},
    {S("Søren"), S("soren")},   {S("Chloé"), S("chloe")},     {S("Hiroshi"), S("hiroshi")}, {S("Priya"), S("priya")},
    {S("Amara"), S("amara")},   {S("Jonas"), S("jonas")},     {S("Elif"), S("elif")},       {S("Chen"), S("chen")},
    {S("Fatima"), S("fatima")}, {S("Oliver"), S("oliver")},   {S("Ingrid"), S("ingrid")},   {S("Diego"), S("diego")}};
static const name_def LAST[] = {
    {S("Smith"), S("smith")},     {S("Müller"), S("mueller")},   {S("García"), S("garcia")},   {S("O'Brien"), S("obrien")},
    {S("Kowalski"), S("kowalski")}, {S("Johansson"), S("johansson")}, {S("Rossi"), S("rossi")}, {S("Dubois"), S("dubois")},
    {S("Nakamura"), S("nakamura")}, {S("Silva"), S("silva")},    {S("Patel"), S("patel")},     {S("Kim"), S("kim")},
    {S("Nguyen"), S("nguyen")},   {S("Jensen"), S("jensen")},    {S("Novák"), S("novak")},     {S("Brown"), S("brown")},
    {S("Wilson"), S("wilson")},   {S("Yılmaz"), S("yilmaz")},    {S("Martin"), S("martin")},   {S("Okafor"), S("okafor")}};
static const str_t EMAIL_DOMAINS[] = {S("example.com"), S("example.org"), S("example.net"), S("mail.example"), S("corp.example")};
static const str_t COMPANIES[] = {S("Initech"), S("Globex"), S("Umbrella Labs"), S("Hooli"), S("Vandelay Industries"),
                                  S("Acme Corp"), S("Stark & Wayne"), S("Wonka GmbH"), S("Pied Piper"), S("Soylent AB")};
static const str_t PLANS[] = {S("free"), S("starter"), S("pro"), S("business"), S("enterprise")};
static const uint8_t PLANS_W[] = {45, 25, 18, 9, 3};

/* products: name = adjective + material + noun; category by noun */
static const str_t P_ADJ[] = {S("Classic"), S("Urban"), S("Everyday"), S("Trail"), S("Premium"), S("Compact"), S("Vintage"),
                              S("Essential"), S("Pro"), S("Lightweight")};
static const str_t P_MAT[] = {S("Leather"), S("Canvas"), S("Wool"), S("Bamboo"), S("Steel"), S("Linen"), S("Cotton"),
                              S("Ceramic"), S("Oak"), S("Merino")};
typedef struct noun_def {
    str_t noun, slug;
    uint8_t cat;
    int32_t lo, hi; /* price range, cents */
} noun_def;
static const str_t CATEGORIES[] = {S("Shoes"), S("Apparel"), S("Bags"), S("Home & Kitchen"), S("Electronics"), S("Outdoor")};
static const str_t CATEGORY_SLUG[] = {S("shoes"), S("apparel"), S("bags"), S("home-kitchen"), S("electronics"), S("outdoor")};
static const noun_def P_NOUN[] = {
    {S("Sneaker"), S("sneaker"), 0, 4999, 18999},   {S("Boot"), S("boot"), 0, 7999, 29999},
    {S("Sweater"), S("sweater"), 1, 2999, 14999},   {S("Jacket"), S("jacket"), 1, 5999, 39999},
    {S("T-Shirt"), S("t-shirt"), 1, 999, 4999},     {S("Backpack"), S("backpack"), 2, 2999, 19999},
    {S("Tote"), S("tote"), 2, 1499, 8999},          {S("Mug"), S("mug"), 3, 799, 3499},
    {S("Skillet"), S("skillet"), 3, 2499, 12999},   {S("Headphones"), S("headphones"), 4, 2999, 44999},
    {S("Charger"), S("charger"), 4, 1299, 5999},    {S("Tent"), S("tent"), 5, 8999, 59999},
    {S("Water Bottle"), S("water-bottle"), 5, 999, 4499}};
static const str_t BRANDS[] = {S("Northwind"), S("Fabrikam"), S("Contoso"), S("Tailspin"), S("Litware"), S("Adventure Works")};

/* pages: dyn 0 static, 1 product, 2 category, 3 search, 4 blog post, 5 docs page */
typedef struct page_def {
    str_t name, path, title;
    uint8_t dyn;
} page_def;
static const page_def PAGES[] = {
    {S("Home"), S("/"), S("Example Shop | Home"), 0},
    {S("Product Detail"), S("/products/"), S(" | Example Shop"), 1},
    {S("Search Results"), S("/search"), S("Search results | Example Shop"), 3},
    {S("Category"), S("/c/"), S(" | Example Shop"), 2},
    {S("Cart"), S("/cart"), S("Your cart | Example Shop"), 0},
    {S("Checkout"), S("/checkout"), S("Checkout | Example Shop"), 0},
    {S("Login"), S("/login"), S("Sign in | Example Shop"), 0},
    {S("Dashboard"), S("/app"), S("Dashboard | Example Shop"), 0},
    {S("Pricing"), S("/pricing"), S("Pricing | Example Shop"), 0},
    {S("Order Confirmation"), S("/checkout/thank-you"), S("Thank you! | Example Shop"), 0},
    {S("Sign Up"), S("/signup"), S("Create your account | Example Shop"), 0},
    {S("Blog Post"), S("/blog/"), S(" | Example Shop Blog"), 4},
    {S("Account"), S("/account"), S("Your account | Example Shop"), 0},
    {S("Orders"), S("/account/orders"), S("Your orders | Example Shop"), 0},
    {S("Wishlist"), S("/account/wishlist"), S("Wishlist | Example Shop"), 0},
    {S("Docs"), S("/docs/"), S(" – Example Shop Docs"), 5},
    {S("Sale"), S("/sale"), S("Sale – up to 50% off | Example Shop"), 0},
    {S("New Arrivals"), S("/new"), S("New arrivals | Example Shop"), 0},
    {S("Settings"), S("/app/settings"), S("Settings | Example Shop"), 0},
    {S("Reports"), S("/app/reports"), S("Reports | Example Shop"), 0},
    {S("Blog"), S("/blog"), S("Blog | Example Shop"), 0},
    {S("Help Center"), S("/help"), S("Help Center | Example Shop"), 0},
    {S("FAQ"), S("/help/faq"), S("FAQ | Example Shop"), 0},
    {S("Billing"), S("/app/billing"), S("Billing | Example Shop"), 0},
    {S("Team"), S("/app/team"), S("Team | Example Shop"), 0},
    {S("Integrations"), S("/app/integrations"), S("Integrations | Example Shop"), 0},
    {S("Notifications"), S("/app/notifications"), S("Notifications | Example Shop"), 0},
    {S("Onboarding"), S("/app/welcome"), S("Welcome! | Example Shop"), 0},
    {S("About"), S("/about"), S("About us – Example Shop"), 0},
    {S("Contact"), S("/contact"), S("Contact | Example Shop"), 0},
    {S("Shipping Info"), S("/help/shipping"), S("Shipping | Example Shop"), 0},
    {S("Returns"), S("/help/returns"), S("Returns | Example Shop"), 0},
    {S("Gift Cards"), S("/gift-cards"), S("Gift cards | Example Shop"), 0},
    {S("Store Locator"), S("/stores"), S("Find a store | Example Shop"), 0},
    {S("Reset Password"), S("/login/reset"), S("Reset your password | Example Shop"), 0},
    {S("Careers"), S("/careers"), S("Careers | Example Shop"), 0},
    {S("Press"), S("/press"), S("Press | Example Shop"), 0},
    {S("Terms"), S("/legal/terms"), S("Terms of service | Example Shop"), 0},
    {S("Privacy"), S("/legal/privacy"), S("Privacy policy | Example Shop"), 0},
    {S("Unsubscribe"), S("/email/unsubscribe"), S("Unsubscribed | Example Shop"), 0},
};
#define NPAGES ((uint32_t)NELEM(PAGES))
static const str_t BLOG_SLUG[] = {S("spring-lookbook"), S("how-we-source-merino"), S("packing-list-for-hikes"),
                                  S("gift-guide"), S("care-for-leather"), S("behind-the-seams"), S("our-new-store"),
                                  S("sustainability-report-2023")};
static const str_t BLOG_TITLE[] = {S("Spring lookbook"), S("How we source merino"), S("The packing list for day hikes"),
                                   S("Gift guide"), S("How to care for leather"), S("Behind the seams"),
                                   S("Our new store"), S("Sustainability report 2023")};
static const str_t DOCS_SLUG[] = {S("getting-started"), S("api/authentication"), S("api/orders"), S("webhooks"),
                                  S("integrations/slack"), S("billing/invoices"), S("faq")};
static const str_t DOCS_TITLE[] = {S("Getting started"), S("Authentication"), S("Orders API"), S("Webhooks"),
                                   S("Slack integration"), S("Invoices"), S("FAQ")};
/* URL-safe search terms (the ?q= of the search page) */
static const str_t SEARCH_Q[] = {S("running+shoes"), S("merino+sweater"), S("backpack"), S("gift+card"), S("tent"),
                                 S("headphones"), S("leather+boot"), S("sale")};

/* ------------------------------------------------------------------ event properties */

enum {
    PK_ENUM = 0, /* one of a vocabulary */
    PK_ID,       /* prefix + 10 hex digits, from a pool of b ids */
    PK_INT,      /* [a, b] */
    PK_MONEY,    /* [a, b] cents, printed with 2 decimals */
    PK_FRAC,     /* [0, 1] with 2 decimals */
    PK_BOOL,     /* true with a percent */
    PK_OBJ,      /* a nested object (voc = which) */
    PK_PRODUCT   /* a field of the message's product (voc = which) */
};
enum { SKEW_UNIFORM = 0, SKEW_LOW, SKEW_HIGH };
enum { PF_ID = 0, PF_SKU, PF_NAME, PF_CATEGORY, PF_PRICE, PF_BRAND };
enum { OB_EXPERIMENT = 0, OB_VIEWPORT, OB_GEO, OB_FILE, OB_PLAN, OB_FILTERS };

static const str_t V_CURRENCY[] = {S("USD"), S("EUR"), S("GBP"), S("CAD"), S("JPY")};
static const str_t V_SORT[] = {S("relevance"), S("price_asc"), S("price_desc"), S("newest"), S("rating")};
static const str_t V_QUERY[] = {S("running shoes"), S("merino sweater"), S("27\\\" monitor stand"), S("café table"),
                                S("usb-c hub"), S("naïve art print"), S("c:\\\\backup drive"), S("gift card"),
                                S("tent 2 person"), S("back to school")};
static const str_t V_BUTTON[] = {S("Add to Cart"), S("Buy Now"), S("Get Started"), S("Learn More"), S("Sign Up"),
                                 S("Continue"), S("Save"), S("Apply")};
static const str_t V_LOCATION[] = {S("header"), S("footer"), S("sidebar"), S("modal"), S("inline"), S("banner")};
static const str_t V_METHOD[] = {S("email"), S("google"), S("apple"), S("github"), S("sso")};
static const str_t V_COUPON[] = {S("SPRING24"), S("WELCOME10"), S("FREESHIP"), S("VIP20"), S("BF2023")};
static const str_t V_STEP[] = {S("shipping"), S("billing"), S("review"), S("confirmation")};
static const str_t V_PAYMENT[] = {S("card"), S("paypal"), S("apple_pay"), S("google_pay"), S("invoice")};
static const str_t V_CREATIVE[] = {S("hero_banner"), S("sidebar_tile"), S("email_header"), S("popup")};
static const str_t V_SHARE[] = {S("link"), S("email"), S("twitter"), S("facebook"), S("whatsapp"), S("slack")};
static const str_t V_CHANNEL[] = {S("email"), S("push"), S("sms"), S("in_app")};
static const str_t V_VARIANT[] = {S("control"), S("A"), S("B"), S("C")};
static const str_t V_APPVER[] = {S("5.12.0"), S("5.11.2"), S("5.11.0"), S("5.10.3")};
static const str_t V_REASON[] = {S("too expensive"), S("missing features"), S("switching tools"), S("not using it"), S("other")};
static const str_t V_SOURCE[] = {S("search"), S("recommendation"), S("email"), S("push"), S("direct"), S("social")};
static const str_t V_TAB[] = {S("overview"), S("activity"), S("settings"), S("billing"), S("members")};
static const str_t V_FILETYPE[] = {S("pdf"), S("csv"), S("xlsx"), S("png"), S("json")};
static const str_t V_VIEW[] = {S("grid"), S("list"), S("board"), S("calendar")};
static const str_t V_THEME[] = {S("light"), S("dark"), S("system")};
static const str_t V_ROLE[] = {S("admin"), S("member"), S("viewer"), S("billing")};
static const str_t V_STATUS[] = {S("draft"), S("active"), S("archived"), S("pending")};
static const str_t V_FREQ[] = {S("daily"), S("weekly"), S("monthly"), S("never")};
static const str_t V_LANG[] = {S("en"), S("de"), S("fr"), S("es"), S("ja"), S("pt")};
static const str_t V_CITY[] = {S("New York"), S("Berlin"), S("München"), S("São Paulo"), S("Zürich"), S("東京"),
                               S("Paris"), S("Kraków"), S("London"), S("Toronto")};
static const str_t V_COUNTRY[] = {S("US"), S("DE"), S("DE"), S("BR"), S("CH"), S("JP"), S("FR"), S("PL"), S("GB"), S("CA")};
static const str_t V_RANGE[] = {S("today"), S("last_7_days"), S("last_30_days"), S("this_quarter"), S("custom")};

typedef struct vocab {
    const str_t *v;
    uint32_t n;
} vocab;
#define VOC(a) {a, NELEM(a)}
enum { VC_CURRENCY = 0, VC_SORT, VC_QUERY, VC_BUTTON, VC_LOCATION, VC_METHOD, VC_COUPON, VC_STEP, VC_PAYMENT,
       VC_CREATIVE, VC_SHARE, VC_CHANNEL, VC_VARIANT, VC_APPVER, VC_REASON, VC_SOURCE, VC_TAB, VC_FILETYPE,
       VC_VIEW, VC_THEME, VC_ROLE, VC_STATUS, VC_FREQ, VC_LANG, VC_CITY, VC_PLAN };
static const vocab VOCABS[] = {VOC(V_CURRENCY), VOC(V_SORT), VOC(V_QUERY), VOC(V_BUTTON), VOC(V_LOCATION),
                               VOC(V_METHOD), VOC(V_COUPON), VOC(V_STEP), VOC(V_PAYMENT), VOC(V_CREATIVE),
                               VOC(V_SHARE), VOC(V_CHANNEL), VOC(V_VARIANT), VOC(V_APPVER), VOC(V_REASON),
                               VOC(V_SOURCE), VOC(V_TAB), VOC(V_FILETYPE), VOC(V_VIEW), VOC(V_THEME), VOC(V_ROLE),
                               VOC(V_STATUS), VOC(V_FREQ), VOC(V_LANG), VOC(V_CITY), VOC(PLANS)};

typedef struct prop_def {
    const char *name;
    uint8_t kind, voc, skew, generic; /* generic: may be drawn for the generated event names */
    int64_t a, b;
    const char *prefix;               /* PK_ID */
} prop_def;

/* One type per property name, whatever the event (a clean tracking plan). */
static const prop_def PROPS[] = {
    {"product_id", PK_PRODUCT, PF_ID, 0, 0, 0, 0, NULL},
    {"sku", PK_PRODUCT, PF_SKU, 0, 0, 0, 0, NULL},
    {"product_name", PK_PRODUCT, PF_NAME, 0, 0, 0, 0, NULL},
    {"category", PK_PRODUCT, PF_CATEGORY, 0, 0, 0, 0, NULL},
    {"price", PK_PRODUCT, PF_PRICE, 0, 0, 0, 0, NULL},
    {"brand", PK_PRODUCT, PF_BRAND, 0, 0, 0, 0, NULL},
    {"currency", PK_ENUM, VC_CURRENCY, SKEW_LOW, 0, 0, 0, NULL},
    {"quantity", PK_INT, 0, SKEW_LOW, 0, 1, 5, NULL},
    {"cart_id", PK_ID, 0, SKEW_UNIFORM, 0, 0, 100000000, "cart_"},
    {"list_id", PK_ID, 0, SKEW_LOW, 0, 0, 200, "list_"},
    {"sort_by", PK_ENUM, VC_SORT, SKEW_LOW, 1, 0, 0, NULL},
    {"query", PK_ENUM, VC_QUERY, SKEW_LOW, 0, 0, 0, NULL},
    {"results", PK_INT, 0, SKEW_LOW, 0, 0, 480, NULL},
    {"position", PK_INT, 0, SKEW_LOW, 1, 1, 48, NULL},
    {"button", PK_ENUM, VC_BUTTON, SKEW_LOW, 0, 0, 0, NULL},
    {"location", PK_ENUM, VC_LOCATION, SKEW_LOW, 1, 0, 0, NULL},
    {"experiment", PK_OBJ, OB_EXPERIMENT, 0, 1, 0, 0, NULL},
    {"method", PK_ENUM, VC_METHOD, SKEW_LOW, 0, 0, 0, NULL},
    {"success", PK_BOOL, 0, 0, 1, 93, 0, NULL},
    {"order_id", PK_ID, 0, SKEW_UNIFORM, 0, 0, 1000000000, "ord_"},
    {"checkout_id", PK_ID, 0, SKEW_UNIFORM, 0, 0, 1000000000, "chk_"},
    {"value", PK_MONEY, 0, SKEW_LOW, 1, 500, 50000, NULL},
    {"total", PK_MONEY, 0, SKEW_LOW, 0, 500, 90000, NULL},
    {"revenue", PK_MONEY, 0, SKEW_LOW, 0, 400, 80000, NULL},
    {"tax", PK_MONEY, 0, SKEW_LOW, 0, 0, 8000, NULL},
    {"shipping", PK_MONEY, 0, SKEW_LOW, 0, 0, 1500, NULL},
    {"discount", PK_MONEY, 0, SKEW_LOW, 0, 100, 5000, NULL},
    {"coupon", PK_ENUM, VC_COUPON, SKEW_LOW, 0, 0, 0, NULL},
    {"step", PK_INT, 0, SKEW_LOW, 0, 1, 4, NULL},
    {"step_name", PK_ENUM, VC_STEP, SKEW_LOW, 0, 0, 0, NULL},
    {"payment_method", PK_ENUM, VC_PAYMENT, SKEW_LOW, 0, 0, 0, NULL},
    {"plan", PK_ENUM, VC_PLAN, SKEW_LOW, 1, 0, 0, NULL},
    {"previous_plan", PK_ENUM, VC_PLAN, SKEW_LOW, 0, 0, 0, NULL},
    {"is_trial", PK_BOOL, 0, 0, 0, 40, 0, NULL},
    {"seats", PK_INT, 0, SKEW_LOW, 0, 1, 200, NULL},
    {"plan_details", PK_OBJ, OB_PLAN, 0, 0, 0, 0, NULL},
    {"video_id", PK_ID, 0, SKEW_LOW, 0, 0, 300, "vid_"},
    {"position_s", PK_INT, 0, SKEW_LOW, 0, 0, 900, NULL},
    {"video_length_s", PK_INT, 0, SKEW_UNIFORM, 0, 30, 1800, NULL},
    {"autoplay", PK_BOOL, 0, 0, 0, 30, 0, NULL},
    {"promotion_id", PK_ID, 0, SKEW_LOW, 0, 0, 40, "promo_"},
    {"creative", PK_ENUM, VC_CREATIVE, SKEW_LOW, 0, 0, 0, NULL},
    {"share_via", PK_ENUM, VC_SHARE, SKEW_LOW, 1, 0, 0, NULL},
    {"rating", PK_INT, 0, SKEW_HIGH, 0, 1, 5, NULL},
    {"review_length", PK_INT, 0, SKEW_LOW, 0, 0, 2000, NULL},
    {"trial_days", PK_INT, 0, SKEW_HIGH, 0, 7, 30, NULL},
    {"campaign_id", PK_ID, 0, SKEW_LOW, 0, 0, 60, "cmp_"},
    {"channel", PK_ENUM, VC_CHANNEL, SKEW_LOW, 1, 0, 0, NULL},
    {"experiment_id", PK_ID, 0, SKEW_LOW, 0, 0, 25, "exp_"},
    {"variant", PK_ENUM, VC_VARIANT, SKEW_UNIFORM, 1, 0, 0, NULL},
    {"app_version", PK_ENUM, VC_APPVER, SKEW_LOW, 0, 0, 0, NULL},
    {"from_background", PK_BOOL, 0, 0, 0, 60, 0, NULL},
    {"session_length_s", PK_INT, 0, SKEW_LOW, 0, 5, 7200, NULL},
    {"reason", PK_ENUM, VC_REASON, SKEW_LOW, 1, 0, 0, NULL},
    {"source", PK_ENUM, VC_SOURCE, SKEW_LOW, 1, 0, 0, NULL},
    {"tab", PK_ENUM, VC_TAB, SKEW_LOW, 1, 0, 0, NULL},
    {"file_type", PK_ENUM, VC_FILETYPE, SKEW_LOW, 1, 0, 0, NULL},
    {"view_mode", PK_ENUM, VC_VIEW, SKEW_LOW, 1, 0, 0, NULL},
    {"theme", PK_ENUM, VC_THEME, SKEW_LOW, 1, 0, 0, NULL},
    {"role", PK_ENUM, VC_ROLE, SKEW_LOW, 1, 0, 0, NULL},
    {"status", PK_ENUM, VC_STATUS, SKEW_LOW, 1, 0, 0, NULL},
    {"frequency", PK_ENUM, VC_FREQ, SKEW_LOW, 1, 0, 0, NULL},
    {"language", PK_ENUM, VC_LANG, SKEW_LOW, 1, 0, 0, NULL},
    {"city", PK_ENUM, VC_CITY, SKEW_UNIFORM, 1, 0, 0, NULL},
    {"search_term", PK_ENUM, VC_QUERY, SKEW_LOW, 1, 0, 0, NULL},
    {"count", PK_INT, 0, SKEW_LOW, 1, 1, 100, NULL},
    {"duration_ms", PK_INT, 0, SKEW_LOW, 1, 20, 60000, NULL},
    {"page_number", PK_INT, 0, SKEW_LOW, 1, 1, 20, NULL},
    {"items", PK_INT, 0, SKEW_LOW, 1, 1, 50, NULL},
    {"size_kb", PK_INT, 0, SKEW_LOW, 1, 1, 50000, NULL},
    {"attempt", PK_INT, 0, SKEW_LOW, 1, 1, 3, NULL},
    {"members", PK_INT, 0, SKEW_LOW, 1, 1, 50, NULL},
    {"characters", PK_INT, 0, SKEW_LOW, 1, 0, 5000, NULL},
    {"score", PK_FRAC, 0, SKEW_UNIFORM, 1, 0, 0, NULL},
    {"progress", PK_FRAC, 0, SKEW_UNIFORM, 1, 0, 0, NULL},
    {"amount", PK_MONEY, 0, SKEW_LOW, 1, 100, 100000, NULL},
    {"is_default", PK_BOOL, 0, 0, 1, 20, 0, NULL},
    {"from_template", PK_BOOL, 0, 0, 1, 35, 0, NULL},
    {"is_public", PK_BOOL, 0, 0, 1, 25, 0, NULL},
    {"keyboard_shortcut", PK_BOOL, 0, 0, 1, 15, 0, NULL},
    {"bulk_action", PK_BOOL, 0, 0, 1, 10, 0, NULL},
    {"viewport", PK_OBJ, OB_VIEWPORT, 0, 1, 0, 0, NULL},
    {"geo", PK_OBJ, OB_GEO, 0, 1, 0, 0, NULL},
    {"file", PK_OBJ, OB_FILE, 0, 1, 0, 0, NULL},
    {"filters", PK_OBJ, OB_FILTERS, 0, 1, 0, 0, NULL},
};
#define NPROPS ((uint32_t)NELEM(PROPS))

/* The most frequent events, in popularity order, with their properties and page. */
typedef struct curated_def {
    const char *name;
    const char *props; /* space-separated property names */
    const char *page;  /* the page it usually happens on */
} curated_def;
static const curated_def CURATED[] = {
    {"Product Viewed", "product_id sku category product_name price currency", "Product Detail"},
    {"Product List Viewed", "list_id category sort_by", "Category"},
    {"Products Searched", "query results", "Search Results"},
    {"Product Clicked", "product_id position list_id", "Category"},
    {"Product Added", "product_id sku price quantity currency cart_id", "Product Detail"},
    {"Button Clicked", "button location experiment", "Home"},
    {"Cart Viewed", "cart_id items value currency", "Cart"},
    {"Signed In", "method success", "Login"},
    {"Checkout Started", "order_id value currency coupon", "Checkout"},
    {"Product Removed", "product_id quantity cart_id", "Cart"},
    {"Checkout Step Viewed", "checkout_id step step_name", "Checkout"},
    {"Checkout Step Completed", "checkout_id step payment_method", "Checkout"},
    {"Video Playback Started", "video_id position_s video_length_s autoplay", "Blog Post"},
    {"Payment Info Entered", "checkout_id payment_method", "Checkout"},
    {"Order Completed", "order_id total revenue tax shipping currency", "Order Confirmation"},
    {"Promotion Viewed", "promotion_id creative position", "Home"},
    {"Signed Up", "method plan is_trial", "Sign Up"},
    {"Experiment Viewed", "experiment_id variant", "Home"},
    {"Coupon Applied", "coupon order_id discount", "Checkout"},
    {"Application Opened", "app_version from_background", "Home"},
    {"Product Shared", "product_id share_via", "Product Detail"},
    {"Notification Clicked", "campaign_id channel", "Home"},
    {"Product Reviewed", "product_id rating review_length", "Product Detail"},
    {"Trial Started", "plan trial_days", "Pricing"},
    {"Subscription Upgraded", "plan previous_plan seats plan_details", "Billing"},
    {"Order Refunded", "order_id total currency reason", "Orders"},
};
#define NCURATED ((uint32_t)NELEM(CURATED))
static const char *const OBJECTS[] = {
    "Report", "Dashboard", "Project", "Document", "File", "Folder", "Comment", "Task", "Invoice", "Message",
    "Channel", "Team", "Workspace", "Integration", "Notification", "Filter", "Chart", "Template", "Playlist",
    "Article", "Wishlist", "Address", "Payment Method", "Subscription", "Profile", "Avatar", "Password", "API Key",
    "Webhook", "Export", "Import", "Tag", "Label", "Note", "Calendar Event", "Reminder", "Survey", "Form", "Widget",
    "Board", "Sprint", "Ticket", "Review", "Gift Card", "Store", "Collection", "Banner", "Tutorial",
    "Onboarding Step", "Shortcut"};
static const char *const ACTIONS[] = {
    "Viewed", "Created", "Updated", "Deleted", "Shared", "Exported", "Opened", "Closed", "Started", "Completed",
    "Failed", "Selected", "Saved", "Submitted", "Downloaded", "Uploaded", "Searched", "Filtered", "Sorted", "Copied",
    "Renamed", "Archived", "Restored", "Invited", "Removed", "Added", "Dismissed", "Expanded", "Collapsed", "Enabled",
    "Disabled", "Scheduled", "Cancelled", "Approved", "Rejected", "Previewed", "Printed", "Liked", "Commented", "Moved"};
#define NOBJECTS ((uint32_t)NELEM(OBJECTS))
#define NACTIONS ((uint32_t)NELEM(ACTIONS))

/* hour-of-day weights (UTC; a US + European audience) and weekend factor */
static const float DIURNAL[24] = {0.70f, 0.60f, 0.50f, 0.42f, 0.36f, 0.34f, 0.38f, 0.48f, 0.62f, 0.78f, 0.90f, 0.98f,
                                  1.05f, 1.15f, 1.30f, 1.40f, 1.42f, 1.38f, 1.30f, 1.22f, 1.12f, 1.00f, 0.90f, 0.80f};
#define WEEKEND 0.72

/* ------------------------------------------------------------------ alias tables */

typedef struct alias {
    uint32_t n;
    double *prob; /* scaled to [0, 1] per slot */
    uint32_t *alias;
} alias;

static bool alias_build(alias *a, const double *w, uint32_t n) {
    a->n = n;
    a->prob = malloc(n * sizeof *a->prob);
    a->alias = malloc(n * sizeof *a->alias);
    uint32_t *small = malloc(n * sizeof *small), *large = malloc(n * sizeof *large);
    double *p = malloc(n * sizeof *p);
    if (!a->prob || !a->alias || !small || !large || !p) {
        free(small);
        free(large);
        free(p);
        return false;
    }
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) sum += w[i];
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        p[i] = w[i] * n / sum;
        if (p[i] < 1.0) small[ns++] = i;
        else large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[--nl];
        a->prob[s] = p[s];
        a->alias[s] = l;
        p[l] = (p[l] + p[s]) - 1.0;
        if (p[l] < 1.0) small[ns++] = l;
        else large[nl++] = l;
    }
    while (nl) {
        uint32_t l = large[--nl];
        a->prob[l] = 1.0;
        a->alias[l] = l;
    }
    while (ns) {
        uint32_t s = small[--ns];
        a->prob[s] = 1.0;
        a->alias[s] = s;
    }
    free(small);
    free(large);
    free(p);
    return true;
}
static void alias_free(alias *a) {
    free(a->prob);
    free(a->alias);
    a->prob = NULL;
    a->alias = NULL;
}
/* one draw from one 64-bit random word: the slot from the high half, the coin from the low half */
static inline uint32_t alias_draw(const alias *a, uint64_t x) {
    uint32_t i = (uint32_t)(((x >> 32) * (uint64_t)a->n) >> 32);
    return (double)(x & 0xffffffffu) * 0x1.0p-32 < a->prob[i] ? i : a->alias[i];
}

/* ------------------------------------------------------------------ the generator */

typedef struct ev_def {
    str_t name;     /* with quotes escaped: none needed */
    uint16_t props[6];
    uint8_t nprops;
    uint8_t page;   /* the page it usually happens on */
} ev_def;

typedef struct product {
    str_t name, slug, id, sku;
    int32_t price; /* cents */
    uint8_t cat, brand;
} product;

typedef struct ident {
    uint8_t type, platform;
    bool has_user, has_anon;
    uint64_t user, anon; /* user index; anonymous-id index */
} ident;

/* a row waiting to be emitted: fresh (from an hour that has been passed) or held (late) */
typedef struct pend {
    int64_t rcv;   /* receivedAt to sort by (ms) */
    uint64_t n;    /* base message number */
    int64_t shift; /* late: ms added to sentAt and receivedAt */
    int32_t hour;
    uint8_t held;
} pend;

typedef struct row_cache {
    int64_t ts, sent, rcv;
    ident id;
} row_cache;

typedef struct dup_pend {
    uint64_t n, due;
    int64_t rcv_hour;
    int32_t hour;
} dup_pend;

struct gen_product {
    gen_product_opts o;
    uint64_t seed;
    int64_t start_ms, nhours;
    uint64_t *cnt; /* base messages per hour */
    uint64_t nusers, nvisitors, nanon;
    uint64_t user_mul, user_add; /* userId: an affine bijection of [0, 9e9) */
    /* faults: one keyed permutation of the message numbers */
    gen_feistel fperm;
    uint64_t n_bad, n_late, n_dup;
    int64_t max_disp_ms;
    /* catalogues */
    ev_def *ev;
    uint32_t nev;
    double *ev_share;
    alias ev_alias, page_alias, product_alias;
    product prod[NPRODUCTS];
    uint16_t cat_prod[NELEM(CATEGORIES)][NPRODUCTS]; /* the products of each category */
    uint32_t cat_nprod[NELEM(CATEGORIES)];
    char *arena;
    size_t arena_len, arena_cap;
    str_t prop_key[NPROPS + NOBJECTS]; /* "\"name\":" */
    /* output order state */
    int64_t h;            /* hour loaded into keys (-1: none yet) */
    uint64_t hour_n0;     /* first message number of hour h */
    uint64_t next_n0;
    uint64_t *keys;       /* (receivedAt - hour start) << 32 | index in hour */
    uint64_t *keytmp;     /* radix sort scratch */
    row_cache *cache;     /* per row of hour h: identity and times */
    size_t nkeys, ki, keycap;
    pend *heap;
    size_t nheap, heapcap;
    dup_pend *dups;
    size_t ndups, dupcap;
    pend cand;
    bool have_cand, base_done;
    uint64_t emitted_base;
    int64_t max_orig_rcv;
    uint64_t max_orig_n;
    bool any_emitted;
    int64_t max_good_ts;
    bool any_good;
    /* counting */
    gen_product_counts c;
    uint8_t *user_seen, *anon_seen;
    uint64_t *ev_count, page_count[NPAGES];
    uint8_t lut_ua[100], lut_locale[100], lut_plan[100]; /* pick_w as tables */
    /* timestamp text cache */
    int64_t tc_day;
    char tc_date[11];
};

gen_product_opts gen_product_opts_default(void) {
    gen_product_opts o;
    memset(&o, 0, sizeof o);
    o.seed = 1;
    o.rows = 1000000;
    o.start_us = sl_days_from_civil(2024, 3, 1) * SL_US_PER_DAY;
    o.end_us = sl_days_from_civil(2024, 5, 31) * SL_US_PER_DAY;
    o.event_types = 300;
    o.max_disp_us = 30LL * 60 * 1000000;
    return o;
}

const char *const gen_product_bad_names[GEN_PRODUCT_BAD_NKINDS] = {
    "invalid_json",      "not_object",            "missing_message_id",   "empty_message_id",      "missing_type",
    "missing_timestamp", "unparseable_timestamp", "timestamp_wrong_type", "timestamp_out_of_range"};
const char *const gen_product_type_names[GEN_PRODUCT_NTYPES] = {"track", "page", "identify"};

/* ------------------------------------------------------------------ small helpers */

static inline uint64_t draw(uint64_t s, uint64_t k) { return gen_mix64(s ^ (k * 0xd1342543de82ef95ull)); }
static inline uint64_t below(uint64_t x, uint64_t n) { return (uint64_t)(((unsigned __int128)x * n) >> 64); }
static inline double unit(uint64_t x) { return gen_unit(x); }
/* standard normal from two random words (Box-Muller) */
static inline double normal2(uint64_t a, uint64_t b) {
    double u1 = ((double)(a >> 12) + 0.5) * 0x1.0p-52, u2 = gen_unit(b);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* index by weights in percent (each table sums to 100: checked by build_catalogues) */
static uint32_t pick_w(const uint8_t *w, uint32_t n, uint64_t x) {
    uint32_t r = (uint32_t)below(x, 100);
    for (uint32_t i = 0; i < n; i++) {
        if (r < w[i]) return i;
        r -= w[i];
    }
    return n - 1;
}
/* the same as a table: lut[below(x, 100)] == pick_w(w, n, x) */
static void pick_lut(uint8_t lut[100], const uint8_t *w, uint32_t n) {
    for (uint32_t r = 0, i = 0, acc = 0; r < 100; r++) {
        while (i + 1 < n && r >= acc + w[i]) acc += w[i++];
        lut[r] = (uint8_t)i;
    }
}

static const char *arena_add(gen_product *g, const char *s, size_t n) {
    /* the arena is sized up front (gen_product_open) and never moves */
    if (g->arena_len + n + 1 > g->arena_cap) return NULL;
    char *d = g->arena + g->arena_len;
    memcpy(d, s, n);
    d[n] = '\0';
    g->arena_len += n + 1;
    return d;
}

/* ------------------------------------------------------------------ writer primitives */

#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) += sizeof(lit) - 1)
/* short strings (most of them) without a call to memcpy; never reads outside s */
static inline char *put_s(char *p, str_t s) {
    uint32_t n = s.n;
    if (n >= 8 && n <= 16) {
        memcpy(p, s.s, 8);
        memcpy(p + n - 8, s.s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(p, s.s, 4);
        memcpy(p + n - 4, s.s + n - 4, 4);
    } else if (n < 4) {
        for (uint32_t i = 0; i < n; i++) p[i] = s.s[i];
    } else {
        memcpy(p, s.s, n);
    }
    return p + n;
}
static inline char *put_u64(char *p, uint64_t v) {
    char t[20];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = t[--n];
    return p;
}
static inline char *put_i64(char *p, int64_t v) {
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}
static inline char *put_hex(char *p, uint64_t v, int nd) {
    static const char hx[] = "0123456789abcdef";
    for (int i = nd - 1; i >= 0; i--) p[nd - 1 - i] = hx[(v >> (4 * i)) & 15];
    return p + nd;
}
static inline char *put_2d(char *p, unsigned v) {
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}
static inline char *put_cents(char *p, int64_t c) {
    p = put_u64(p, (uint64_t)(c / 100));
    *p++ = '.';
    return put_2d(p, (unsigned)(c % 100));
}
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 chars), 0 <= ms < year 10000 */
static char *put_ts(gen_product *g, char *p, int64_t ms) {
    int64_t day = ms / MS_DAY, rem = ms % MS_DAY;
    if (day != g->tc_day) {
        int64_t y;
        unsigned m, d;
        sl_civil_from_days(day, &y, &m, &d);
        char *q = g->tc_date;
        q[0] = (char)('0' + y / 1000 % 10);
        q[1] = (char)('0' + y / 100 % 10);
        q[2] = (char)('0' + y / 10 % 10);
        q[3] = (char)('0' + y % 10);
        q[4] = '-';
        put_2d(q + 5, m);
        q[7] = '-';
        put_2d(q + 8, d);
        q[10] = 'T';
        g->tc_day = day;
    }
    memcpy(p, g->tc_date, 11);
    p += 11;
    unsigned s = (unsigned)(rem / 1000), msr = (unsigned)(rem % 1000);
    p = put_2d(p, s / 3600);
    *p++ = ':';
    p = put_2d(p, s / 60 % 60);
    *p++ = ':';
    p = put_2d(p, s % 60);
    *p++ = '.';
    *p++ = (char)('0' + msr / 100);
    p = put_2d(p, msr % 100);
    *p++ = 'Z';
    return p;
}

/* ------------------------------------------------------------------ the model: who and when */

enum { K_TYPE = 1, K_TIME, K_BODY, K_DEV, K_USER, K_FAULT, K_MID };


static inline uint64_t msg_key(const gen_product *g, uint64_t n, uint64_t k) { return gen_hash(g->seed + k, n); }

/* users: index from a power law (index 0 is the most active), devices 1..3 per user */
static inline uint64_t user_devices(const gen_product *g, uint64_t u) {
    double x = unit(gen_hash(g->seed + K_USER, u));
    return x < 0.6 ? 1 : x < 0.9 ? 2 : 3;
}

static void ident_of(const gen_product *g, uint64_t n, ident *id) {
    uint64_t s = msg_key(g, n, K_TYPE);
    double t = unit(draw(s, 0));
    id->type = t < P_IDENTIFY ? GEN_PRODUCT_IDENTIFY : t < P_IDENTIFY + P_PAGE ? GEN_PRODUCT_PAGE : GEN_PRODUCT_TRACK;
    bool anon_only = id->type != GEN_PRODUCT_IDENTIFY && unit(draw(s, 1)) < P_ANONYMOUS / (1.0 - P_IDENTIFY);
    double x = unit(draw(s, 2));
    if (anon_only) {
        uint64_t v = (uint64_t)((double)g->nvisitors * x * x);
        if (v >= g->nvisitors) v = g->nvisitors - 1;
        id->has_user = false;
        id->has_anon = true;
        id->user = 0;
        id->anon = 3 * g->nusers + v;
    } else {
        uint64_t u = (uint64_t)((double)g->nusers * x * x);
        if (u >= g->nusers) u = g->nusers - 1;
        id->has_user = true;
        id->user = u;
        id->has_anon = unit(draw(s, 3)) >= P_NO_ANON_ID;
        id->anon = 3 * u + below(draw(s, 4), user_devices(g, u));
    }
    if (!id->has_anon) {
        id->platform = PLAT_SERVER;
    } else {
        double pu = unit(gen_hash(g->seed + K_DEV, id->anon));
        bool visitor = id->anon >= 3 * g->nusers;
        double web = visitor ? 0.85 : 0.70, ios = visitor ? 0.07 : 0.15;
        id->platform = pu < web ? PLAT_WEB : pu < web + ios ? PLAT_IOS : PLAT_ANDROID;
    }
}

/* timestamp, sentAt and receivedAt (ms) of message n of hour `hour` */
static void times_of(const gen_product *g, uint64_t n, int64_t hour, const ident *id, int64_t *ts, int64_t *sent,
                     int64_t *rcv) {
    uint64_t s = msg_key(g, n, K_TIME);
    *ts = g->start_ms + hour * MS_HOUR + (int64_t)below(draw(s, 0), (uint64_t)MS_HOUR);
    double u = unit(draw(s, 1)), v = unit(draw(s, 2));
    double skew, f; /* receivedAt - timestamp (ms); share of it before sentAt */
    bool quick;
    if (id->platform == PLAT_SERVER) {
        skew = 50.0 * exp(0.5 * normal2(draw(s, 3), draw(s, 4)));
        quick = true;
    } else if (id->platform == PLAT_WEB) {
        if (u < 0.96) {
            skew = 150.0 * exp(0.8 * normal2(draw(s, 3), draw(s, 4)));
            quick = true;
        } else if (u < 0.99) {
            skew = 1000.0 + v * 29000.0;
            quick = false;
        } else {
            skew = 30000.0 + v * 270000.0;
            quick = false;
        }
    } else { /* mobile: batched every 30 s, sometimes offline for minutes */
        if (u < 0.70) {
            skew = 300.0 + v * 29700.0;
            quick = false;
        } else if (u < 0.95) {
            skew = 200.0 * exp(0.7 * normal2(draw(s, 3), draw(s, 4)));
            quick = true;
        } else {
            skew = 30000.0 + v * 270000.0;
            quick = false;
        }
    }
    int64_t k = (int64_t)skew;
    if (k < 1) k = 1;
    if (k > SKEW_CAP_MS) k = SKEW_CAP_MS;
    double w = unit(draw(s, 7));
    f = quick ? 0.01 + 0.24 * w : 0.90 + 0.095 * w;
    *rcv = *ts + k;
    *sent = *ts + (int64_t)((double)k * f);
}

/* the fault of message n: 0 none, 1 + bad kind, or FAULT_LATE / FAULT_DUP */
enum { FAULT_LATE = 100, FAULT_DUP = 101 };
static inline int fault_of(const gen_product *g, uint64_t n) {
    if (!g->n_bad && !g->n_late && !g->n_dup) return 0;
    uint64_t p = gen_feistel_apply(&g->fperm, n);
    if (p < g->n_bad) return 1 + (int)(p % GEN_PRODUCT_BAD_NKINDS);
    p -= g->n_bad;
    if (p < g->n_late) return FAULT_LATE;
    p -= g->n_late;
    if (p < g->n_dup) return FAULT_DUP;
    return 0;
}

/* ------------------------------------------------------------------ rendering */

static char *put_uuid(const gen_product *g, char *p, uint64_t a) {
    uint64_t x = gen_mix64(a ^ (g->seed * 0x9e3779b97f4a7c15ull)); /* a bijection of a: the ids are unique */
    uint64_t y = gen_mix64(x ^ 0x5bd1e9955bd1e995ull);
    p = put_hex(p, x >> 32, 8);
    *p++ = '-';
    p = put_hex(p, (x >> 16) & 0xffff, 4);
    *p++ = '-';
    *p++ = '4';
    p = put_hex(p, (x >> 4) & 0xfff, 3);
    *p++ = '-';
    *p++ = "89ab"[y & 3];
    p = put_hex(p, x & 0xf, 1);
    p = put_hex(p, (y >> 2) & 0xff, 2);
    *p++ = '-';
    return put_hex(p, y >> 16, 12);
}

static char *put_user_id(const gen_product *g, char *p, uint64_t u) {
    uint64_t v = (uint64_t)(((unsigned __int128)u * g->user_mul + g->user_add) % UINT64_C(9000000000));
    return put_u64(p, UINT64_C(1000000000) + v);
}

static char *put_message_id(const gen_product *g, char *p, uint64_t n) {
    uint64_t x = gen_mix64(n ^ gen_mix64(g->seed + K_MID)); /* a bijection of n */
    uint64_t y = gen_hash(g->seed + K_MID, n);
    PUT(p, "ajs-");
    p = put_hex(p, x, 16);
    return put_hex(p, y, 16);
}

/* a page: its url (with utm parameters when a campaign is given), path, title and search */
typedef struct page_ref {
    uint32_t page, arg; /* arg: product, category, query, blog or docs index */
} page_ref;

static uint32_t page_arg(const gen_product *g, uint32_t page, uint64_t y) {
    switch (PAGES[page].dyn) {
    case 1: return alias_draw(&g->product_alias, y);
    case 2: return (uint32_t)below(y, NELEM(CATEGORIES));
    case 3: return (uint32_t)below(y, NELEM(SEARCH_Q));
    case 4: return (uint32_t)below(y, NELEM(BLOG_SLUG));
    case 5: return (uint32_t)below(y, NELEM(DOCS_SLUG));
    default: return 0;
    }
}
static page_ref draw_page(const gen_product *g, uint64_t x, uint64_t y) {
    page_ref r;
    r.page = alias_draw(&g->page_alias, x);
    r.arg = page_arg(g, r.page, y);
    return r;
}

static char *put_path(const gen_product *g, char *p, page_ref r) {
    const page_def *d = &PAGES[r.page];
    p = put_s(p, d->path);
    switch (d->dyn) {
    case 1: p = put_s(p, g->prod[r.arg].slug); break;
    case 2: p = put_s(p, CATEGORY_SLUG[r.arg]); break;
    case 4: p = put_s(p, BLOG_SLUG[r.arg]); break;
    case 5: p = put_s(p, DOCS_SLUG[r.arg]); break;
    default: break;
    }
    return p;
}
static char *put_title(const gen_product *g, char *p, page_ref r) {
    const page_def *d = &PAGES[r.page];
    switch (d->dyn) {
    case 1: p = put_s(p, g->prod[r.arg].name); break;
    case 2: p = put_s(p, CATEGORIES[r.arg]); break;
    case 4: p = put_s(p, BLOG_TITLE[r.arg]); break;
    case 5: p = put_s(p, DOCS_TITLE[r.arg]); break;
    default: break;
    }
    return put_s(p, d->title);
}

typedef struct campaign {
    bool on;
    uint8_t name, source, medium;
} campaign;

/* the page fields; props: the order of page properties (path, url, title, referrer) rather than
 * context.page's (path, url, referrer, title) */
static char *put_page_fields(const gen_product *g, char *p, page_ref r, const campaign *cp, uint64_t rx, bool props) {
    PUT(p, "{\"path\":\"");
    char *path = p;
    p = put_path(g, p, r);
    size_t pathlen = (size_t)(p - path);
    PUT(p, "\",\"url\":\"" SITE);
    memmove(p, path, pathlen); /* the path again */
    p += pathlen;
    bool search = PAGES[r.page].dyn == 3;
    if (search) {
        PUT(p, "?q=");
        p = put_s(p, SEARCH_Q[r.arg]);
    }
    if (cp->on) {
        *p++ = search ? '&' : '?';
        PUT(p, "utm_source=");
        p = put_s(p, CAMPAIGN_SOURCE[cp->source]);
        PUT(p, "&utm_medium=");
        p = put_s(p, CAMPAIGN_MEDIUM[cp->medium]);
        PUT(p, "&utm_campaign=");
        p = put_s(p, CAMPAIGN_NAME[cp->name]);
    }
    /* referrer: an earlier page of the site, a search engine or social site, or none */
    double u = unit(rx);
    char ref[256];
    char *q = ref;
    if (cp->on || u < 0.25) {
        q = put_s(q, REFERRERS[below(draw(rx, 1), NELEM(REFERRERS))]);
    } else if (u < 0.70) {
        page_ref prev = draw_page(g, draw(rx, 2), draw(rx, 3));
        PUT(q, SITE);
        q = put_path(g, q, prev);
    }
    if (props) {
        PUT(p, "\",\"title\":\"");
        p = put_title(g, p, r);
        PUT(p, "\",\"referrer\":\"");
        memcpy(p, ref, (size_t)(q - ref));
        p += q - ref;
    } else {
        PUT(p, "\",\"referrer\":\"");
        memcpy(p, ref, (size_t)(q - ref));
        p += q - ref;
        PUT(p, "\",\"title\":\"");
        p = put_title(g, p, r);
    }
    *p++ = '"';
    if (search) {
        PUT(p, ",\"search\":\"?q=");
        p = put_s(p, SEARCH_Q[r.arg]);
        *p++ = '"';
    }
    *p++ = '}';
    return p;
}

static inline uint64_t skewed(uint64_t x, uint64_t n, int skew) {
    double u = unit(x);
    if (skew == SKEW_LOW) u = u * u;
    else if (skew == SKEW_HIGH) u = 1.0 - u * u;
    uint64_t k = (uint64_t)(u * (double)n);
    return k >= n ? n - 1 : k;
}

static char *put_object(gen_product *g, char *p, int which, gen_rng *r) {
    switch (which) {
    case OB_EXPERIMENT:
        PUT(p, "{\"id\":\"exp_");
        p = put_hex(p, gen_hash(0xe4, below(gen_next64(r), 25)), 6);
        PUT(p, "\",\"variant\":\"");
        p = put_s(p, V_VARIANT[below(gen_next64(r), NELEM(V_VARIANT))]);
        PUT(p, "\"}");
        break;
    case OB_VIEWPORT: {
        static const uint16_t WH[][2] = {{1920, 1080}, {1536, 864}, {1440, 900}, {1366, 768}, {390, 844}, {414, 896},
                                          {360, 800}, {2560, 1440}, {820, 1180}};
        uint64_t k = skewed(gen_next64(r), NELEM(WH), SKEW_LOW);
        PUT(p, "{\"width\":");
        p = put_u64(p, WH[k][0]);
        PUT(p, ",\"height\":");
        p = put_u64(p, WH[k][1]);
        *p++ = '}';
        break;
    }
    case OB_GEO: {
        uint64_t k = below(gen_next64(r), NELEM(V_CITY));
        PUT(p, "{\"city\":\"");
        p = put_s(p, V_CITY[k]);
        PUT(p, "\",\"country\":\"");
        p = put_s(p, V_COUNTRY[k]);
        PUT(p, "\"}");
        break;
    }
    case OB_FILE: {
        uint64_t t = below(gen_next64(r), NELEM(V_FILETYPE));
        PUT(p, "{\"name\":\"export-");
        p = put_u64(p, 1 + below(gen_next64(r), 999));
        *p++ = '.';
        p = put_s(p, V_FILETYPE[t]);
        PUT(p, "\",\"size_kb\":");
        p = put_u64(p, 1 + skewed(gen_next64(r), 20000, SKEW_LOW));
        PUT(p, ",\"type\":\"");
        p = put_s(p, V_FILETYPE[t]);
        PUT(p, "\"}");
        break;
    }
    case OB_PLAN:
        PUT(p, "{\"name\":\"");
        p = put_s(p, PLANS[1 + below(gen_next64(r), NELEM(PLANS) - 1)]);
        PUT(p, "\",\"seats\":");
        p = put_u64(p, 1 + skewed(gen_next64(r), 100, SKEW_LOW));
        PUT(p, ",\"annual\":");
        if (unit(gen_next64(r)) < 0.4) PUT(p, "true}");
        else PUT(p, "false}");
        break;
    default: /* OB_FILTERS */
        PUT(p, "{\"status\":\"");
        p = put_s(p, V_STATUS[below(gen_next64(r), NELEM(V_STATUS))]);
        PUT(p, "\",\"date_range\":\"");
        p = put_s(p, V_RANGE[skewed(gen_next64(r), NELEM(V_RANGE), SKEW_LOW)]);
        PUT(p, "\"}");
        break;
    }
    return p;
}

static char *put_prop_value(gen_product *g, char *p, uint32_t pi, gen_rng *r, uint32_t prod) {
    if (pi >= NPROPS) { /* the id of a generated event's object */
        PUT(p, "\"");
        p = put_hex(p, gen_hash(0x0b1ec7 + pi, skewed(gen_next64(r), 5000, SKEW_LOW)), 10);
        *p++ = '"';
        return p;
    }
    const prop_def *d = &PROPS[pi];
    const product *pr = &g->prod[prod];
    switch (d->kind) {
    case PK_ENUM: {
        const vocab *v = &VOCABS[d->voc];
        *p++ = '"';
        p = put_s(p, v->v[skewed(gen_next64(r), v->n, d->skew)]);
        *p++ = '"';
        break;
    }
    case PK_ID:
        *p++ = '"';
        p = put_s(p, (str_t){d->prefix, (uint32_t)strlen(d->prefix)});
        p = put_hex(p, gen_hash(0x1d + pi, skewed(gen_next64(r), (uint64_t)d->b, d->skew)), 10);
        *p++ = '"';
        break;
    case PK_INT: p = put_i64(p, d->a + (int64_t)skewed(gen_next64(r), (uint64_t)(d->b - d->a + 1), d->skew)); break;
    case PK_MONEY: p = put_cents(p, d->a + (int64_t)skewed(gen_next64(r), (uint64_t)(d->b - d->a + 1), d->skew)); break;
    case PK_FRAC: p = put_cents(p, (int64_t)below(gen_next64(r), 101)); break;
    case PK_BOOL:
        if (below(gen_next64(r), 100) < (uint64_t)d->a) PUT(p, "true");
        else PUT(p, "false");
        break;
    case PK_OBJ: p = put_object(g, p, d->voc, r); break;
    default: /* PK_PRODUCT */
        switch (d->voc) {
        case PF_ID: *p++ = '"'; p = put_s(p, pr->id); *p++ = '"'; break;
        case PF_SKU: *p++ = '"'; p = put_s(p, pr->sku); *p++ = '"'; break;
        case PF_NAME: *p++ = '"'; p = put_s(p, pr->name); *p++ = '"'; break;
        case PF_CATEGORY: *p++ = '"'; p = put_s(p, CATEGORIES[pr->cat]); *p++ = '"'; break;
        case PF_PRICE: p = put_cents(p, pr->price); break;
        default: *p++ = '"'; p = put_s(p, BRANDS[pr->brand]); *p++ = '"'; break;
        }
    }
    return p;
}

static inline void bit_set(uint8_t *bits, uint64_t i, uint64_t *distinct) {
    uint8_t m = (uint8_t)(1u << (i & 7));
    if (!(bits[i >> 3] & m)) {
        bits[i >> 3] |= m;
        (*distinct)++;
    }
}

typedef struct render_out {
    int64_t ts; /* the true timestamp */
    bool good;
} render_out;

/* Render base message n (of hour `hour`, late by shift ms) as one line at
 * out->p + out->len.  count: an original emission (not a copy): count the
 * model.  The line is a pure function of (seed, n, hour, shift). */
static sl_err render(gen_product *g, sl_buf *out, uint64_t n, int32_t hour, int64_t shift, bool count,
                     render_out *ro) {
    if (!sl_buf_reserve(out, LINE_MAX_BYTES + 2)) return SL_ERR_NOMEM;
    char *line = out->p + out->len, *p = line;
    ident id;
    int64_t ts, sent, rcv;
    if (hour == g->h && n >= g->hour_n0 && n - g->hour_n0 < g->nkeys) { /* computed when the hour was sorted */
        const row_cache *rc = &g->cache[n - g->hour_n0];
        id = rc->id;
        ts = rc->ts;
        sent = rc->sent;
        rcv = rc->rcv;
    } else {
        ident_of(g, n, &id);
        times_of(g, n, hour, &id, &ts, &sent, &rcv);
    }
    sent += shift;
    rcv += shift;
    int f = fault_of(g, n);
    int bad = f >= 1 && f <= GEN_PRODUCT_BAD_NKINDS ? f - 1 : -1;
    gen_rng fr; /* the variant of a bad row */
    if (bad >= 0) gen_rng_seed(&fr, msg_key(g, n, K_FAULT));
    gen_rng r;
    gen_rng_seed(&r, msg_key(g, n, K_BODY));
    uint64_t dev = gen_hash(g->seed + K_DEV, id.anon);

    if (bad == GEN_PRODUCT_BAD_NOT_OBJECT) {
        int v = (int)gen_below(&fr, 3);
        if (v == 1) { /* a number */
            p = line;
            p = put_i64(p, ts);
            *p++ = '\n';
            out->len += (size_t)(p - line);
            g->c.bad[bad]++;
            g->c.bad_total++;
            ro->good = false;
            ro->ts = ts;
            return SL_OK;
        }
        if (v == 2) { /* a string */
            p = line;
            *p++ = '"';
            p = put_message_id(g, p, n);
            PUT(p, "\"\n");
            out->len += (size_t)(p - line);
            g->c.bad[bad]++;
            g->c.bad_total++;
            ro->good = false;
            ro->ts = ts;
            return SL_OK;
        }
        /* v == 0: the message inside an array */
    }

    /* head: messageId, type, event / name, userId, anonymousId, timestamps */
    *p++ = '{';
    if (bad != GEN_PRODUCT_BAD_MISSING_MESSAGE_ID) {
        PUT(p, "\"messageId\":\"");
        if (bad != GEN_PRODUCT_BAD_EMPTY_MESSAGE_ID) p = put_message_id(g, p, n);
        *p++ = '"';
        if (bad != GEN_PRODUCT_BAD_MISSING_TYPE) *p++ = ',';
    }
    if (bad != GEN_PRODUCT_BAD_MISSING_TYPE) {
        switch (id.type) {
        case GEN_PRODUCT_TRACK: PUT(p, "\"type\":\"track\""); break;
        case GEN_PRODUCT_PAGE: PUT(p, "\"type\":\"page\""); break;
        default: PUT(p, "\"type\":\"identify\""); break;
        }
    }
    uint32_t ev = 0;
    page_ref pg;
    if (id.type == GEN_PRODUCT_TRACK) {
        ev = alias_draw(&g->ev_alias, gen_next64(&r));
        PUT(p, ",\"event\":\"");
        p = put_s(p, g->ev[ev].name);
        *p++ = '"';
        if (unit(gen_next64(&r)) < 0.7) { /* on the event's usual page */
            pg.page = g->ev[ev].page;
            pg.arg = page_arg(g, pg.page, gen_next64(&r));
        } else {
            uint64_t a = gen_next64(&r), b = gen_next64(&r);
            pg = draw_page(g, a, b);
        }
    } else {
        uint64_t a = gen_next64(&r), b = gen_next64(&r);
        pg = draw_page(g, a, b);
        if (id.type == GEN_PRODUCT_IDENTIFY) {
            static const uint8_t IDP[] = {6, 10, 7, 12}; /* Login, Sign Up, Dashboard, Account */
            pg.page = IDP[below(a, 4)];
            pg.arg = 0;
        }
        if (id.type == GEN_PRODUCT_PAGE) {
            PUT(p, ",\"name\":\"");
            p = put_s(p, PAGES[pg.page].name);
            *p++ = '"';
        }
    }
    bool user_null = false;
    if (id.has_user) {
        PUT(p, ",\"userId\":\"");
        p = put_user_id(g, p, id.user);
        *p++ = '"';
    } else if (id.platform == PLAT_WEB) { /* analytics.js sends null, the mobile libraries leave it out */
        PUT(p, ",\"userId\":null");
        user_null = true;
    }
    if (id.has_anon) {
        PUT(p, ",\"anonymousId\":\"");
        p = put_uuid(g, p, id.anon);
        *p++ = '"';
    }
    if (bad != GEN_PRODUCT_BAD_MISSING_TIMESTAMP) {
        PUT(p, ",\"timestamp\":");
        switch (bad) {
        case GEN_PRODUCT_BAD_UNPARSEABLE_TS: {
            static const str_t V[] = {S("\"yesterday\""), S("\"2024-13-45T25:61:61.000Z\""), S("\"not a timestamp\"")};
            p = put_s(p, V[gen_below(&fr, 3)]);
            break;
        }
        case GEN_PRODUCT_BAD_TS_WRONG_TYPE: p = put_i64(p, ts); break;
        case GEN_PRODUCT_BAD_TS_OUT_OF_RANGE: {
            const int64_t y2000 = INT64_C(946684800000), y2100 = INT64_C(4102444800000);
            int v = (int)gen_below(&fr, 4);
            int64_t t = v == 0   ? y2000 - 1
                        : v == 1 ? y2100
                        : v == 2 ? (int64_t)gen_below(&fr, (uint64_t)y2000) /* 1970 .. 1999: a reset clock */
                                 : y2100 + (int64_t)gen_below(&fr, (uint64_t)(y2100 / 2));
            *p++ = '"';
            p = put_ts(g, p, t);
            *p++ = '"';
            break;
        }
        default:
            *p++ = '"';
            p = put_ts(g, p, ts);
            *p++ = '"';
        }
    }
    PUT(p, ",\"receivedAt\":\"");
    p = put_ts(g, p, rcv);
    PUT(p, "\",\"sentAt\":\"");
    p = put_ts(g, p, sent);
    *p++ = '"';

    /* context: the device's attributes */
    const ua_def *ua;
    const str_t *libver;
    uint32_t dev_plat = id.platform;
    uint64_t devx = dev;
    if (id.platform == PLAT_SERVER) { /* a backend forwarding the user's first device's context */
        devx = gen_hash(g->seed + K_DEV, 3 * id.user);
        double pu = unit(devx);
        dev_plat = pu < 0.70 ? PLAT_WEB : pu < 0.85 ? PLAT_IOS : PLAT_ANDROID;
    }
    switch (dev_plat) {
    case PLAT_IOS: ua = &UA_IOS[below(draw(devx, 1), NELEM(UA_IOS))]; break;
    case PLAT_ANDROID: ua = &UA_ANDROID[below(draw(devx, 1), NELEM(UA_ANDROID))]; break;
    default: ua = &UA_WEB[g->lut_ua[below(draw(devx, 1), 100)]]; break;
    }
    switch (id.platform) {
    case PLAT_IOS: libver = &LIB_VER_IOS[below(draw(devx, 2), NELEM(LIB_VER_IOS))]; break;
    case PLAT_ANDROID: libver = &LIB_VER_ANDROID[below(draw(devx, 2), NELEM(LIB_VER_ANDROID))]; break;
    case PLAT_SERVER: libver = &LIB_VER_SERVER[0]; break;
    default: libver = &LIB_VER_WEB[below(draw(devx, 2), NELEM(LIB_VER_WEB))]; break;
    }
    uint64_t ipx = draw(devx, 3);
    PUT(p, ",\"context\":{\"ip\":\"");
    p = put_u64(p, IP_FIRST[below(ipx, NELEM(IP_FIRST))]);
    *p++ = '.';
    p = put_u64(p, (ipx >> 8) & 0xff);
    *p++ = '.';
    p = put_u64(p, (ipx >> 16) & 0xff);
    *p++ = '.';
    p = put_u64(p, 1 + ((ipx >> 24) & 0xff) % 254);
    PUT(p, "\",\"locale\":\"");
    p = put_s(p, LOCALES[g->lut_locale[below(draw(devx, 4), 100)]]);
    PUT(p, "\",\"userAgent\":\"");
    p = put_s(p, ua->ua);
    PUT(p, "\",\"library\":{\"name\":\"");
    p = put_s(p, LIB_NAME[id.platform]);
    PUT(p, "\",\"version\":\"");
    p = put_s(p, *libver);
    PUT(p, "\"},\"page\":");
    campaign cp = {false, 0, 0, 0};
    uint64_t cx = gen_next64(&r);
    if (unit(cx) < P_CAMPAIGN) {
        cp.on = true;
        cp.name = (uint8_t)below(draw(cx, 1), NELEM(CAMPAIGN_NAME));
        cp.source = (uint8_t)below(draw(cx, 2), NELEM(CAMPAIGN_SOURCE));
        cp.medium = (uint8_t)below(draw(cx, 3), NELEM(CAMPAIGN_MEDIUM));
    }
    uint64_t rx = gen_next64(&r);
    p = put_page_fields(g, p, pg, &cp, rx, false);
    if (cp.on) {
        PUT(p, ",\"campaign\":{\"name\":\"");
        p = put_s(p, CAMPAIGN_NAME[cp.name]);
        PUT(p, "\",\"source\":\"");
        p = put_s(p, CAMPAIGN_SOURCE[cp.source]);
        PUT(p, "\",\"medium\":\"");
        p = put_s(p, CAMPAIGN_MEDIUM[cp.medium]);
        PUT(p, "\"}");
    }
    bool extra_ctx = unit(gen_next64(&r)) < P_EXTRA_CONTEXT;
    if (extra_ctx) {
        PUT(p, ",\"os\":{\"name\":\"");
        p = put_s(p, ua->os_name);
        PUT(p, "\",\"version\":\"");
        p = put_s(p, ua->os_version);
        PUT(p, "\"}");
    }
    *p++ = '}';

    /* properties / traits */
    if (id.type == GEN_PRODUCT_TRACK) {
        const ev_def *e = &g->ev[ev];
        uint32_t prod = alias_draw(&g->product_alias, gen_next64(&r));
        if (PAGES[pg.page].dyn == 1) prod = pg.arg; /* the product of the page it happens on */
        if (PAGES[pg.page].dyn == 2 && g->cat_nprod[pg.arg]) /* one of the category's products */
            prod = g->cat_prod[pg.arg][below(gen_next64(&r), g->cat_nprod[pg.arg])];
        PUT(p, ",\"properties\":{");
        for (uint32_t k = 0; k < e->nprops; k++) {
            if (k) *p++ = ',';
            p = put_s(p, g->prop_key[e->props[k]]);
            p = put_prop_value(g, p, e->props[k], &r, prod);
        }
        *p++ = '}';
    } else if (id.type == GEN_PRODUCT_PAGE) {
        PUT(p, ",\"properties\":");
        p = put_page_fields(g, p, pg, &cp, rx, true);
    } else {
        uint64_t ux = gen_hash(g->seed + K_USER + 1, id.user);
        const name_def *fn = &FIRST[below(draw(ux, 1), NELEM(FIRST))], *ln = &LAST[below(draw(ux, 2), NELEM(LAST))];
        PUT(p, ",\"traits\":{\"email\":\"");
        p = put_s(p, fn->ascii);
        *p++ = '.';
        p = put_s(p, ln->ascii);
        p = put_u64(p, below(draw(ux, 3), 1000));
        *p++ = '@';
        p = put_s(p, EMAIL_DOMAINS[below(draw(ux, 4), NELEM(EMAIL_DOMAINS))]);
        PUT(p, "\",\"plan\":\"");
        p = put_s(p, PLANS[g->lut_plan[below(draw(ux, 5), 100)]]);
        PUT(p, "\",\"created_at\":\"");
        /* signed up within the 3 years before the first hour */
        p = put_ts(g, p, g->start_ms - 1 - (int64_t)below(draw(ux, 6), (uint64_t)(3 * 365 * MS_DAY)));
        PUT(p, "\",\"name\":\"");
        p = put_s(p, fn->disp);
        *p++ = ' ';
        p = put_s(p, ln->disp);
        *p++ = '"';
        if (unit(draw(ux, 7)) < 0.4) {
            PUT(p, ",\"company\":{\"name\":\"");
            p = put_s(p, COMPANIES[below(draw(ux, 8), NELEM(COMPANIES))]);
            PUT(p, "\",\"employees\":");
            p = put_u64(p, 2 + skewed(draw(ux, 9), 5000, SKEW_LOW));
            *p++ = '}';
        }
        PUT(p, ",\"logins\":");
        p = put_u64(p, 1 + skewed(gen_next64(&r), 500, SKEW_LOW));
        *p++ = '}';
    }
    bool extra_top = unit(gen_next64(&r)) < P_EXTRA_TOP;
    if (extra_top) {
        if (gen_next64(&r) & 1) PUT(p, ",\"integrations\":{\"All\":true}");
        else PUT(p, ",\"integrations\":{\"All\":true,\"Mixpanel\":false}");
    }
    *p++ = '}';
    if (p - line > LINE_MAX_BYTES) abort(); /* cannot happen: the catalogues bound a line */

    if (bad == GEN_PRODUCT_BAD_NOT_OBJECT) { /* the message inside an array */
        memmove(line + 1, line, (size_t)(p - line));
        *line = '[';
        p++;
        *p++ = ']';
    } else if (bad == GEN_PRODUCT_BAD_INVALID_JSON) {
        /* cut at 30-90% of the line, so the object is never closed; before an ASCII byte (no
         * split UTF-8 character), and not right after ':' or '[': DuckDB's read_json (1.5)
         * would then take the next line as the missing value and lose it too, while a
         * line-by-line reader (and read_json_objects) loses only this line */
        size_t len = (size_t)(p - line), cut = len * 3 / 10 + (size_t)gen_below(&fr, len * 6 / 10);
        while (cut > 1 && ((unsigned char)line[cut] >= 0x80 || line[cut - 1] == ':' || line[cut - 1] == '[')) cut--;
        p = line + cut;
    }
    *p++ = '\n';
    out->len += (size_t)(p - line);
    ro->ts = ts;
    ro->good = bad < 0;
    if (bad >= 0) {
        g->c.bad[bad]++;
        g->c.bad_total++;
        return SL_OK;
    }
    if (count) {
        gen_product_counts *c = &g->c;
        c->types[id.type]++;
        if (id.type == GEN_PRODUCT_TRACK) {
            if (!g->ev_count[ev]++) c->event_names_used++;
        } else if (id.type == GEN_PRODUCT_PAGE) {
            if (!g->page_count[pg.page]++) c->page_names_used++;
        }
        if (id.has_user) bit_set(g->user_seen, id.user, &c->users);
        else c->anonymous_only++;
        if (id.has_anon) bit_set(g->anon_seen, id.anon, &c->anonymous_ids);
        else c->no_anonymous_id++;
        c->user_id_null += user_null;
        c->with_campaign += cp.on;
        c->extra_context += extra_ctx;
        c->extra_top_level += extra_top;
    }
    return SL_OK;
}

/* ------------------------------------------------------------------ open / close */

static unsigned sum_w(const uint8_t *w, size_t n) {
    unsigned s = 0;
    for (size_t i = 0; i < n; i++) s += w[i];
    return s;
}

static sl_err build_catalogues(gen_product *g, char *err, size_t errlen) {
    static const uint8_t NPW[] = {10, 22, 26, 20, 13, 9}; /* 1..6 properties of a generated event */
    if (sum_w(UA_WEB_W, NELEM(UA_WEB_W)) != 100 || sum_w(LOCALES_W, NELEM(LOCALES_W)) != 100 ||
        sum_w(PLANS_W, NELEM(PLANS_W)) != 100 || sum_w(NPW, NELEM(NPW)) != 100)
        return sl_err_set(err, errlen, SL_ERR_ARG, "internal: a weight table does not sum to 100");
    pick_lut(g->lut_ua, UA_WEB_W, NELEM(UA_WEB_W));
    pick_lut(g->lut_locale, LOCALES_W, NELEM(LOCALES_W));
    pick_lut(g->lut_plan, PLANS_W, NELEM(PLANS_W));
    g->arena_cap = 256 * 1024;
    g->arena = malloc(g->arena_cap);
    if (!g->arena) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    char tmp[256];
    /* property keys: the pool, then one "<object>_id" per object of the generated names */
    for (uint32_t i = 0; i < NPROPS + NOBJECTS; i++) {
        int n;
        if (i < NPROPS) n = snprintf(tmp, sizeof tmp, "\"%s\":", PROPS[i].name);
        else {
            const char *o = OBJECTS[i - NPROPS];
            size_t k = 0;
            tmp[k++] = '"';
            for (; *o && k < 200; o++) tmp[k++] = *o == ' ' ? '_' : (char)(*o >= 'A' && *o <= 'Z' ? *o + 32 : *o);
            memcpy(tmp + k, "_id\":", 5);
            n = (int)k + 5;
        }
        const char *s = arena_add(g, tmp, (size_t)n);
        if (!s) return sl_err_set(err, errlen, SL_ERR_NOMEM, "catalogue arena full");
        g->prop_key[i] = (str_t){s, (uint32_t)n};
    }
    /* products (fixed for every seed) */
    for (uint32_t i = 0; i < NPRODUCTS; i++) {
        uint64_t h = gen_hash(0x9a0d, i);
        const str_t *a = &P_ADJ[below(draw(h, 1), NELEM(P_ADJ))], *m = &P_MAT[below(draw(h, 2), NELEM(P_MAT))];
        const noun_def *nd = &P_NOUN[below(draw(h, 3), NELEM(P_NOUN))];
        product *pr = &g->prod[i];
        int n = snprintf(tmp, sizeof tmp, "%s %s %s", a->s, m->s, nd->noun.s);
        pr->name = (str_t){arena_add(g, tmp, (size_t)n), (uint32_t)n};
        n = snprintf(tmp, sizeof tmp, "%s-%s-%s-%u", a->s, m->s, nd->slug.s, 1000 + i);
        for (int k = 0; k < n; k++) tmp[k] = tmp[k] >= 'A' && tmp[k] <= 'Z' ? (char)(tmp[k] + 32) : tmp[k] == ' ' ? '-' : tmp[k];
        pr->slug = (str_t){arena_add(g, tmp, (size_t)n), (uint32_t)n};
        n = snprintf(tmp, sizeof tmp, "prod_%05u", 10000 + i * 7);
        pr->id = (str_t){arena_add(g, tmp, (size_t)n), (uint32_t)n};
        n = snprintf(tmp, sizeof tmp, "SKU-%06u", (unsigned)(below(draw(h, 4), 900000) + 100000));
        pr->sku = (str_t){arena_add(g, tmp, (size_t)n), (uint32_t)n};
        pr->price = nd->lo + (int32_t)below(draw(h, 5), (uint64_t)(nd->hi - nd->lo) / 100) * 100;
        pr->price = pr->price / 100 * 100 + 99; /* x.99 */
        pr->cat = nd->cat;
        g->cat_prod[pr->cat][g->cat_nprod[pr->cat]++] = (uint16_t)i;
        pr->brand = (uint8_t)below(draw(h, 6), NELEM(BRANDS));
        if (!pr->name.s || !pr->slug.s || !pr->id.s || !pr->sku.s)
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "catalogue arena full");
    }
    /* event names: the curated ones, then object-action pairs in a fixed shuffled order */
    g->nev = g->o.event_types;
    g->ev = calloc(g->nev, sizeof *g->ev);
    g->ev_share = calloc(g->nev, sizeof *g->ev_share);
    g->ev_count = calloc(g->nev, sizeof *g->ev_count);
    if (!g->ev || !g->ev_share || !g->ev_count) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    uint32_t combos = NOBJECTS * NACTIONS;
    gen_feistel cf;
    gen_feistel_init(&cf, combos, 0xe7e47);
    uint32_t next_combo = 0;
    for (uint32_t e = 0; e < g->nev; e++) {
        ev_def *d = &g->ev[e];
        if (e < NCURATED) {
            const curated_def *cd = &CURATED[e];
            d->name = (str_t){cd->name, (uint32_t)strlen(cd->name)};
            const char *s = cd->props;
            while (*s && d->nprops < 6) {
                size_t l = strcspn(s, " ");
                uint32_t k = 0;
                while (k < NPROPS && !(strlen(PROPS[k].name) == l && !memcmp(PROPS[k].name, s, l))) k++;
                if (k == NPROPS) return sl_err_set(err, errlen, SL_ERR_ARG, "internal: unknown property in '%s'", cd->props);
                d->props[d->nprops++] = (uint16_t)k;
                s += l;
                while (*s == ' ') s++;
            }
            uint32_t pg = 0;
            while (pg < NPAGES && strcmp(PAGES[pg].name.s, cd->page)) pg++;
            d->page = (uint8_t)(pg < NPAGES ? pg : 0);
            continue;
        }
        /* a generated name, skipping those equal to a curated one */
        uint32_t obj, act;
        for (;;) {
            if (next_combo >= combos) return sl_err_set(err, errlen, SL_ERR_ARG, "internal: out of event names");
            uint32_t c = (uint32_t)gen_feistel_apply(&cf, next_combo++);
            obj = c / NACTIONS;
            act = c % NACTIONS;
            int n = snprintf(tmp, sizeof tmp, "%s %s", OBJECTS[obj], ACTIONS[act]);
            bool clash = false;
            for (uint32_t k = 0; k < NCURATED && !clash; k++) clash = !strcmp(CURATED[k].name, tmp);
            if (clash) continue;
            const char *s = arena_add(g, tmp, (size_t)n);
            if (!s) return sl_err_set(err, errlen, SL_ERR_NOMEM, "catalogue arena full");
            d->name = (str_t){s, (uint32_t)n};
            break;
        }
        uint64_t h = gen_hash(0xe5e5, e);
        uint32_t np = 1 + pick_w(NPW, 6, draw(h, 1));
        d->props[d->nprops++] = (uint16_t)(NPROPS + obj);
        for (uint32_t k = 1, tries = 0; d->nprops < np && tries < 1000; tries++) {
            uint32_t pi = (uint32_t)below(draw(h, 10 + tries), NPROPS);
            if (!PROPS[pi].generic) continue;
            bool dup = false;
            for (uint32_t j = 0; j < d->nprops; j++) dup |= d->props[j] == pi;
            if (dup) continue;
            d->props[d->nprops++] = (uint16_t)pi;
            k++;
        }
        /* app pages for generated events: Dashboard .. Onboarding, Home sometimes */
        static const uint8_t APP[] = {7, 18, 19, 23, 24, 25, 26, 27, 0, 12};
        d->page = APP[below(draw(h, 2), NELEM(APP))];
    }
    /* popularity: Zipf over ranks */
    double *w = malloc((g->nev > NPRODUCTS ? g->nev : NPRODUCTS) * sizeof *w);
    if (!w) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    double sum = 0;
    for (uint32_t e = 0; e < g->nev; e++) sum += (w[e] = pow(e + 1.0, -ZIPF_EVENTS));
    for (uint32_t e = 0; e < g->nev; e++) g->ev_share[e] = w[e] / sum;
    bool ok = alias_build(&g->ev_alias, w, g->nev);
    for (uint32_t i = 0; i < NPAGES; i++) w[i] = pow(i + 1.0, -ZIPF_PAGES);
    ok = ok && alias_build(&g->page_alias, w, NPAGES);
    for (uint32_t i = 0; i < NPRODUCTS; i++) w[i] = pow(i + 1.0, -0.9);
    ok = ok && alias_build(&g->product_alias, w, NPRODUCTS);
    free(w);
    if (!ok) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    return SL_OK;
}

struct rem {
    double frac;
    uint32_t h;
};
static int cmp_rem(const void *a, const void *b) {
    const struct rem *x = a, *y = b;
    if (x->frac != y->frac) return x->frac > y->frac ? -1 : 1;
    return (x->h > y->h) - (x->h < y->h);
}

/* Messages per hour: the diurnal and weekly shape with a little noise per hour. */
static sl_err plan_hours(gen_product *g, char *err, size_t errlen) {
    int64_t n = g->nhours;
    g->cnt = calloc((size_t)n, sizeof *g->cnt);
    double *q = malloc((size_t)n * sizeof *q);
    struct rem *ord = malloc((size_t)n * sizeof *ord);
    if (!g->cnt || !q || !ord) {
        free(q);
        free(ord);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (%lld hours)", (long long)n);
    }
    double sum = 0;
    for (int64_t h = 0; h < n; h++) {
        int64_t t = g->start_ms + h * MS_HOUR;
        int64_t day = sl_floor_div(t, MS_DAY);
        int hod = (int)(sl_floor_mod(t, MS_DAY) / MS_HOUR);
        int dow = (int)sl_floor_mod(day + 3, 7); /* 0 = Monday (1970-01-01 was a Thursday) */
        gen_rng r;
        gen_rng_seed(&r, gen_hash(g->seed + 0x40, (uint64_t)h));
        double w = DIURNAL[hod] * (dow >= 5 ? WEEKEND : 1.0) * exp(0.08 * gen_normal(&r));
        q[h] = w;
        sum += w;
    }
    /* largest remainder: exactly rows in total */
    uint64_t given = 0;
    for (int64_t h = 0; h < n; h++) {
        double x = (double)g->o.rows * q[h] / sum;
        g->cnt[h] = (uint64_t)x;
        ord[h].frac = x - (double)g->cnt[h];
        ord[h].h = (uint32_t)h;
        given += g->cnt[h];
    }
    uint64_t left = g->o.rows - given; /* < hours, as the remainders are each < 1 */
    qsort(ord, (size_t)n, sizeof *ord, cmp_rem);
    for (uint64_t k = 0; k < left; k++) g->cnt[ord[k % (uint64_t)n].h]++;
    free(q);
    free(ord);
    uint64_t mx = 0;
    for (int64_t h = 0; h < n; h++)
        if (g->cnt[h] > mx) mx = g->cnt[h];
    if (mx >= ((uint64_t)1 << 32))
        return sl_err_set(err, errlen, SL_ERR_ARG, "too many messages per hour (%" PRIu64 "): widen --start/--end", mx);
    g->keycap = (size_t)mx;
    g->keys = malloc((mx ? mx : 1) * sizeof *g->keys);
    g->keytmp = malloc((mx ? mx : 1) * sizeof *g->keytmp);
    g->cache = malloc((mx ? mx : 1) * sizeof *g->cache);
    if (!g->keys || !g->keytmp || !g->cache) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (%" PRIu64 " keys)", mx);
    return SL_OK;
}

sl_err gen_product_open(gen_product **out, const gen_product_opts *o, char *err, size_t errlen) {
    *out = NULL;
    if (o->rows < 1) return sl_err_set(err, errlen, SL_ERR_ARG, "--rows must be at least 1");
    if (o->rows > (UINT64_C(1) << 40)) return sl_err_set(err, errlen, SL_ERR_ARG, "--rows must be at most 2^40");
    if (o->event_types < 1 || o->event_types > GEN_PRODUCT_MAX_EVENT_TYPES)
        return sl_err_set(err, errlen, SL_ERR_ARG, "--event-types must be in 1..%d", GEN_PRODUCT_MAX_EVENT_TYPES);
    if (!(o->late >= 0 && o->late <= 1) || !(o->duplicates >= 0 && o->duplicates <= 1) ||
        !(o->bad_rows >= 0 && o->bad_rows <= 1))
        return sl_err_set(err, errlen, SL_ERR_ARG, "fault rates must be in [0, 1]");
    uint64_t nb = (uint64_t)llround(o->bad_rows * (double)o->rows), nl = (uint64_t)llround(o->late * (double)o->rows),
             nd = (uint64_t)llround(o->duplicates * (double)o->rows);
    if (nb + nl + nd > o->rows)
        return sl_err_set(err, errlen, SL_ERR_ARG,
                          "--bad-rows + --displaced + --duplicates must be at most 1 for --kind product-events "
                          "(each message gets at most one fault)");
    if (o->late > 0 && o->max_disp_us < 1000)
        return sl_err_set(err, errlen, SL_ERR_ARG, "--max-displacement must be at least 1ms");
    if (o->max_disp_us > 30 * SL_US_PER_DAY) return sl_err_set(err, errlen, SL_ERR_ARG, "--max-displacement must be at most 30d");
    int64_t start = sl_hour_floor(o->start_us), end = sl_hour_ceil(o->end_us);
    const int64_t y2000 = INT64_C(946684800000000), y2100 = INT64_C(4102444800000000);
    if (start < y2000 || end > y2100 - SL_US_PER_DAY * 31)
        return sl_err_set(err, errlen, SL_ERR_ARG,
                          "--start/--end must lie within 2000-01-01 .. 2099-12-01 (timestamps outside "
                          "[2000, 2100) are the bad rows of this kind)");
    if (end <= start) return sl_err_set(err, errlen, SL_ERR_ARG, "--end must be after --start");
    uint64_t users = o->users ? o->users : (o->rows + 12) / 25;
    if (users < 1) users = 1;
    if (users > UINT64_C(9000000000)) return sl_err_set(err, errlen, SL_ERR_ARG, "--users must be at most 9000000000");

    gen_product *g = calloc(1, sizeof *g);
    if (!g) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    g->o = *o;
    g->seed = gen_mix64(o->seed ^ 0x9e0d0c7ULL);
    g->start_ms = start / 1000;
    g->nhours = (end - start) / SL_US_PER_HOUR;
    g->nusers = users;
    g->nvisitors = (uint64_t)((double)o->rows * VISITORS_PER_ROW);
    if (g->nvisitors < 1) g->nvisitors = 1;
    g->nanon = 3 * g->nusers + g->nvisitors;
    g->user_mul = UINT64_C(2654435761); /* prime, coprime with 9e9 = 2^9 3^2 5^9 */
    g->user_add = gen_hash(g->seed, 0x05e7) % UINT64_C(9000000000);
    g->n_bad = nb;
    g->n_late = nl;
    g->n_dup = nd;
    g->max_disp_ms = o->max_disp_us / 1000;
    gen_feistel_init(&g->fperm, o->rows, gen_hash(g->seed, 0xfa017));
    g->h = -1;
    g->tc_day = INT64_MIN;
    g->c.base_rows = o->rows;
    g->user_seen = calloc((size_t)(g->nusers / 8 + 1), 1);
    g->anon_seen = calloc((size_t)(g->nanon / 8 + 1), 1);
    sl_err e = SL_OK;
    if (!g->user_seen || !g->anon_seen) e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    if (!e) e = build_catalogues(g, err, errlen);
    if (!e) e = plan_hours(g, err, errlen);
    if (e) {
        gen_product_close(g);
        return e;
    }
    *out = g;
    return SL_OK;
}

void gen_product_close(gen_product *g) {
    if (!g) return;
    free(g->cnt);
    free(g->keys);
    free(g->keytmp);
    free(g->cache);
    free(g->heap);
    free(g->dups);
    free(g->ev);
    free(g->ev_share);
    free(g->ev_count);
    free(g->user_seen);
    free(g->anon_seen);
    free(g->arena);
    alias_free(&g->ev_alias);
    alias_free(&g->page_alias);
    alias_free(&g->product_alias);
    free(g);
}

/* ------------------------------------------------------------------ output order */

static inline bool pend_less(const pend *a, int64_t rcv, uint64_t n) { return a->rcv < rcv || (a->rcv == rcv && a->n < n); }

static bool heap_push(gen_product *g, const pend *x) {
    if (g->nheap == g->heapcap) {
        size_t nc = g->heapcap ? g->heapcap * 2 : 256;
        pend *nv = realloc(g->heap, nc * sizeof *nv);
        if (!nv) return false;
        g->heap = nv;
        g->heapcap = nc;
    }
    size_t i = g->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!pend_less(x, g->heap[p].rcv, g->heap[p].n)) break;
        g->heap[i] = g->heap[p];
        i = p;
    }
    g->heap[i] = *x;
    return true;
}
static void heap_pop(gen_product *g, pend *out) {
    *out = g->heap[0];
    pend last = g->heap[--g->nheap];
    size_t i = 0, n = g->nheap;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const pend *best = &last;
        if (l < n && pend_less(&g->heap[l], best->rcv, best->n)) {
            m = l;
            best = &g->heap[l];
        }
        if (r < n && pend_less(&g->heap[r], best->rcv, best->n)) m = r;
        if (m == i) break;
        g->heap[i] = g->heap[m];
        i = m;
    }
    if (n) g->heap[i] = last;
}

static void sort_u64(uint64_t *a, size_t n, uint64_t *tmp) {
    if (n < 64) {
        for (size_t i = 1; i < n; i++) {
            uint64_t v = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return;
    }
    /* LSD radix on the 54 significant bits (22 bits of offset, 32 of index): 11-bit digits */
    uint64_t *src = a, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 11) {
        size_t cnt[2048] = {0};
        bool all_same = true;
        uint64_t first = (src[0] >> shift) & 2047;
        for (size_t i = 0; i < n; i++) {
            uint64_t d = (src[i] >> shift) & 2047;
            cnt[d]++;
            all_same &= d == first;
        }
        if (all_same) continue;
        size_t s = 0;
        for (int d = 0; d < 2048; d++) {
            size_t c = cnt[d];
            cnt[d] = s;
            s += c;
        }
        for (size_t i = 0; i < n; i++) dst[cnt[(src[i] >> shift) & 2047]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

static void load_hour(gen_product *g, int64_t h) {
    g->h = h;
    g->hour_n0 = g->next_n0;
    size_t n = (size_t)g->cnt[h];
    g->next_n0 += n;
    for (size_t j = 0; j < n; j++) {
        uint64_t m = g->hour_n0 + j;
        row_cache *rc = &g->cache[j];
        ident_of(g, m, &rc->id);
        times_of(g, m, h, &rc->id, &rc->ts, &rc->sent, &rc->rcv);
        g->keys[j] = (uint64_t)(rc->rcv - (g->start_ms + h * MS_HOUR)) << 32 | (uint64_t)j;
    }
    sort_u64(g->keys, n, g->keytmp);
    g->nkeys = n;
    g->ki = 0;
}

/* The next base row in output order (fresh rows in receivedAt order, late
 * rows at their later receivedAt); 1 with *out, 0 at the end, -1 no memory. */
static int take_next(gen_product *g, pend *out) {
    for (;;) {
        bool hk = g->ki < g->nkeys, hh = g->nheap > 0;
        int64_t krcv = 0;
        uint64_t kn = 0;
        if (hk) {
            uint64_t k = g->keys[g->ki];
            krcv = g->start_ms + g->h * MS_HOUR + (int64_t)(k >> 32);
            kn = g->hour_n0 + (k & 0xffffffffu);
        }
        int from = hk && hh ? (pend_less(&g->heap[0], krcv, kn) ? 1 : 0) : hk ? 0 : hh ? 1 : -1;
        int64_t best = from == 0 ? krcv : from == 1 ? g->heap[0].rcv : INT64_MAX;
        int64_t limit = g->h + 1 < g->nhours ? g->start_ms + (g->h + 1) * MS_HOUR : INT64_MAX;
        if (from < 0 || best >= limit) {
            /* nothing received before the next hour is left: load it (no row of a later
             * hour can be received before that hour starts) */
            if (g->h + 1 < g->nhours) {
                /* the rest of this hour was received in a later hour: keep it in the heap */
                for (; g->ki < g->nkeys; g->ki++) {
                    uint64_t k = g->keys[g->ki];
                    pend x = {g->start_ms + g->h * MS_HOUR + (int64_t)(k >> 32), g->hour_n0 + (k & 0xffffffffu), 0,
                              (int32_t)g->h, 0};
                    if (!heap_push(g, &x)) return -1;
                }
                load_hour(g, g->h + 1);
                continue;
            }
            if (from < 0) return 0;
        }
        pend x;
        if (from == 0) {
            x = (pend){krcv, kn, 0, (int32_t)g->h, 0};
            g->ki++;
        } else {
            heap_pop(g, &x);
        }
        if (!x.held && fault_of(g, x.n) == FAULT_LATE) {
            /* held back: the device was offline and sends it up to max_disp_ms later */
            x.shift = 1 + (int64_t)(gen_hash(g->seed + 0x1a7e, x.n) % (uint64_t)g->max_disp_ms);
            x.rcv += x.shift;
            x.held = 1;
            g->c.late_held++;
            if (!heap_push(g, &x)) return -1;
            continue;
        }
        *out = x;
        return 1;
    }
}

static inline int64_t rcv_hour(int64_t rcv) { return sl_floor_div(rcv, MS_HOUR); }

static sl_err emit(gen_product *g, sl_buf *out, uint64_t n, int32_t hour, int64_t shift, bool copy) {
    render_out ro;
    sl_err e = render(g, out, n, hour, shift, !copy, &ro);
    if (e) return e;
    g->c.rows_out++;
    if (copy) g->c.duplicates++;
    if (ro.good) {
        if (g->any_good && ro.ts < g->max_good_ts) {
            g->c.ts_out_of_order++;
            if (g->max_good_ts - ro.ts > g->c.max_ts_lag_ms) g->c.max_ts_lag_ms = g->max_good_ts - ro.ts;
        }
        if (!g->any_good || ro.ts > g->max_good_ts) g->max_good_ts = ro.ts;
        g->any_good = true;
    }
    return SL_OK;
}

long gen_product_next(gen_product *g, sl_buf *out, size_t max_rows, char *err, size_t errlen) {
    if (max_rows == 0) max_rows = 4096;
    size_t lines = 0;
    while (lines < max_rows) {
        if (!g->have_cand && !g->base_done) {
            int rc = take_next(g, &g->cand);
            if (rc < 0) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            if (rc == 0) g->base_done = true;
            else g->have_cand = true;
        }
        /* a pending copy is due: after its 1..64 rows, before a later receivedAt hour, or at the end */
        size_t di = g->ndups;
        int64_t ch = g->have_cand ? rcv_hour(g->cand.rcv) : INT64_MAX;
        for (size_t k = 0; k < g->ndups; k++) {
            if (!g->have_cand || g->dups[k].due <= g->emitted_base || g->dups[k].rcv_hour < ch) {
                di = k;
                break;
            }
        }
        if (di < g->ndups) {
            dup_pend d = g->dups[di];
            memmove(g->dups + di, g->dups + di + 1, (g->ndups - di - 1) * sizeof *g->dups);
            g->ndups--;
            sl_err e = emit(g, out, d.n, d.hour, 0, true);
            if (e) return sl_err_set(err, errlen, e, "out of memory");
            lines++;
            continue;
        }
        if (!g->have_cand) break;
        pend x = g->cand;
        g->have_cand = false;
        sl_err e = emit(g, out, x.n, x.hour, x.shift, false);
        if (e) return sl_err_set(err, errlen, e, "out of memory");
        lines++;
        /* late: displaced when a row that followed it undisturbed came out first */
        int64_t orig = x.rcv - x.shift;
        if (x.held && g->any_emitted && (g->max_orig_rcv > orig || (g->max_orig_rcv == orig && g->max_orig_n > x.n)))
            g->c.late++;
        if (!g->any_emitted || orig > g->max_orig_rcv || (orig == g->max_orig_rcv && x.n > g->max_orig_n)) {
            g->max_orig_rcv = orig;
            g->max_orig_n = x.n;
        }
        g->any_emitted = true;
        g->emitted_base++;
        if (!x.held && fault_of(g, x.n) == FAULT_DUP) {
            if (g->ndups == g->dupcap) {
                size_t nc = g->dupcap ? g->dupcap * 2 : 64;
                dup_pend *nv = realloc(g->dups, nc * sizeof *nv);
                if (!nv) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                g->dups = nv;
                g->dupcap = nc;
            }
            g->dups[g->ndups++] = (dup_pend){x.n, g->emitted_base + 1 + gen_hash(g->seed + 0xd0, x.n) % 64,
                                             rcv_hour(x.rcv), x.hour};
        }
    }
    return (long)lines;
}

/* ------------------------------------------------------------------ queries and summary */

const gen_product_counts *gen_product_get_counts(const gen_product *g) { return &g->c; }
uint64_t gen_product_planned_rows(const gen_product *g) { return g->o.rows + g->n_dup; }
int64_t gen_product_num_hours(const gen_product *g) { return g->nhours; }
uint64_t gen_product_user_pool(const gen_product *g) { return g->nusers; }
const char *gen_product_event_name(const gen_product *g, uint32_t r) { return r < g->nev ? g->ev[r].name.s : NULL; }
double gen_product_event_share(const gen_product *g, uint32_t r) { return r < g->nev ? g->ev_share[r] : 0; }

static void json_time(sl_buf *o, int64_t us) {
    char t[SL_TIME_BUF];
    sl_fmt_time(t, sizeof t, us, SL_TIME_ISO_S);
    sl_buf_printf(o, "\"%s\"", t);
}

void gen_product_counts_json(const gen_product *g, sl_buf *o) {
    const gen_product_counts *c = &g->c;
    sl_buf_printf(o, "{\"kind\":\"product-events\",\"seed\":%" PRIu64 ",\"start\":", g->o.seed);
    json_time(o, g->start_ms * 1000);
    sl_buf_puts(o, ",\"end\":");
    json_time(o, (g->start_ms + g->nhours * MS_HOUR) * 1000);
    sl_buf_printf(o, ",\"hours\":%lld,\"base_rows\":%" PRIu64 ",\"rows_out\":%" PRIu64 ",\"types\":{", (long long)g->nhours,
                  c->base_rows, c->rows_out);
    for (int t = 0; t < GEN_PRODUCT_NTYPES; t++)
        sl_buf_printf(o, "%s\"%s\":%" PRIu64, t ? "," : "", gen_product_type_names[t], c->types[t]);
    sl_buf_printf(o, "},\"event_types\":%u,\"event_names_used\":%" PRIu64 ",\"page_names_used\":%" PRIu64, g->nev,
                  c->event_names_used, c->page_names_used);
    sl_buf_printf(o, ",\"user_pool\":%" PRIu64 ",\"users\":%" PRIu64 ",\"anonymous_ids\":%" PRIu64, g->nusers, c->users,
                  c->anonymous_ids);
    sl_buf_printf(o,
                  ",\"anonymous_only\":%" PRIu64 ",\"user_id_null\":%" PRIu64 ",\"no_anonymous_id\":%" PRIu64
                  ",\"with_campaign\":%" PRIu64 ",\"extra_context_key\":%" PRIu64 ",\"extra_top_level_key\":%" PRIu64,
                  c->anonymous_only, c->user_id_null, c->no_anonymous_id, c->with_campaign, c->extra_context,
                  c->extra_top_level);
    sl_buf_printf(o, ",\"duplicates\":%" PRIu64 ",\"late_held\":%" PRIu64 ",\"late\":%" PRIu64, c->duplicates,
                  c->late_held, c->late);
    sl_buf_printf(o, ",\"ts_out_of_order\":%" PRIu64 ",\"max_ts_lag_ms\":%lld", c->ts_out_of_order,
                  (long long)c->max_ts_lag_ms);
    sl_buf_printf(o, ",\"bad_rows\":%" PRIu64 ",\"bad\":{", c->bad_total);
    for (int k = 0; k < GEN_PRODUCT_BAD_NKINDS; k++)
        sl_buf_printf(o, "%s\"%s\":%" PRIu64, k ? "," : "", gen_product_bad_names[k], c->bad[k]);
    /* the ten most frequent event names actually emitted, with their counts */
    sl_buf_puts(o, "},\"top_events\":[");
    uint32_t top[10];
    int nt = 0;
    for (uint32_t e = 0; e < g->nev; e++) {
        if (!g->ev_count[e]) continue;
        int k = nt < 10 ? nt++ : 10;
        while (k > 0 && (g->ev_count[top[k - 1]] < g->ev_count[e])) {
            if (k < 10) top[k] = top[k - 1];
            k--;
        }
        if (k < 10) top[k] = e;
    }
    for (int k = 0; k < nt; k++)
        sl_buf_printf(o, "%s[\"%s\",%" PRIu64 "]", k ? "," : "", g->ev[top[k]].name.s, g->ev_count[top[k]]);
    sl_buf_puts(o, "]}");
}

/* ------------------------------------------------------------------ the CLI */

/* The front's own options (gen_cli_table has the output options both kinds take). */
typedef struct product_cli {
    int kind, format;
    size_t batch_rows;
    const char *redset_only; /* an option of the Redset kinds: refused (after_flag) */
} product_cli;

static const sl_opt k_product_opts[] = {
    GEN_OPT_ROWS(gen_product_opts, "exactly N messages before duplicates"),
    GEN_OPT_SEED(gen_product_opts),
    GEN_OPT_RANGE(gen_product_opts),
    {.name = "event_types", .type = SL_OPT_T_INT, SL_OPT_F_(gen_product_opts, event_types), .def = "300", .min = 1,
     .max = GEN_PRODUCT_MAX_EVENT_TYPES, .help = "distinct track event names, Zipf-skewed"},
    {.name = "users", .type = SL_OPT_T_INT, SL_OPT_F_(gen_product_opts, users), .min = 1, .max = 9.2e18,
     .help = "identified users (default: rows / 25)"},
    GEN_OPT_FRACTION(gen_product_opts, late, "displaced",
                     "faults (exact counts, each in the summary; their fractions add up to at most 1)",
                     "fraction displaced: received late, held back up to --max-displacement"),
    GEN_OPT_RENAMED_LATE,
    GEN_OPT_DISPLACEMENT(gen_product_opts, 1000, "largest hold-back"),
    GEN_OPT_FRACTION(gen_product_opts, duplicates, "duplicates", NULL,
                     "fraction re-sent: the same line again, later in the same hour"),
    GEN_OPT_FRACTION(gen_product_opts, bad_rows, "bad_rows", NULL,
                     "fraction made bad, evenly over 9 kinds (invalid JSON, not an object,\n"
                     "missing/empty messageId, missing type, missing, unparseable, wrongly typed\n"
                     "or out-of-range timestamp)"),
    SL_OPT_END,
};
static const sl_opt k_product_out[] = {
    GEN_OPT_FORMAT(product_cli, format, "jsonl, the only format of this kind (default: jsonl)"),
    GEN_OPT_BATCH_ROWS(product_cli, batch_rows, "4096", "lines per write"),
    SL_OPT_END,
};
/* --kind (fixed by the usage line) and the options of the Redset kinds, so
 * that they are named in a message rather than unknown (and sl_opt_peek
 * knows every flag of sluice gen: gen_product_requested). */
#define REDSET_ONLY(nm) \
    {.name = nm, .type = SL_OPT_T_STRING, SL_OPT_F_(product_cli, redset_only), .flags = SL_OPT_HIDDEN | SL_OPT_EMPTY_OK}
static const sl_opt k_redset_only[] = {
    {.name = "kind", .type = SL_OPT_T_ENUM, SL_OPT_F_(product_cli, kind), .def = "product-events",
     .choices = "serverless|provisioned|product-events", .flags = SL_OPT_HIDDEN},
    REDSET_ONLY("scale"), REDSET_ONLY("rate"), REDSET_ONLY("instances"), REDSET_ONLY("profile"),
    REDSET_ONLY("order"), REDSET_ONLY("repairs"), REDSET_ONLY("codec"), REDSET_ONLY("row_group_rows"),
    REDSET_ONLY("ts_format"), REDSET_ONLY("overload"), REDSET_ONLY("profiles"), SL_OPT_END,
};
#undef REDSET_ONLY
static const sl_opt *const k_product_tables[] = {k_product_opts, k_product_out, gen_cli_table, k_redset_only, NULL};
static const char *const k_product_titles[] = {"size and shape", "output", NULL, NULL};
static const sl_opt_cmd k_product_cmd = {
    .name = "gen",
    .tables = k_product_tables,
    .titles = k_product_titles,
    .usage = "sluice gen --kind product-events [--rows N] [--out FILE.jsonl] [options]",
    .about = "Synthetic product-analytics events as Segment-style trackers send them: track (80%), page (15%)\n"
             "and identify (5%) messages, one JSON object per line, in receivedAt order.  Same seed + same\n"
             "options => byte-identical output.  See docs/gen.md.",
    .notes = "Exit status: 0 ok, 1 bad option, 2 I/O or runtime error.",
};
const sl_opt_cmd *gen_product_doc(void) { return &k_product_cmd; }

bool gen_product_requested(int argc, char **argv) {
    const char *kind = sl_opt_peek(k_product_tables, argc, argv, "kind");
    return kind && !strcasecmp(kind, "product-events");
}

static sl_err after_flag(void *ctx, const sl_opt *o, const char *v, char *err, size_t errlen) {
    if (o->offset != offsetof(product_cli, redset_only) || sl_opt_find(k_redset_only, o->name) != o) return SL_OK;
    char flag[64];
    snprintf(flag, sizeof flag, "%s", o->name);
    for (char *c = flag; *c; c++)
        if (*c == '_') *c = '-';
    return sl_err_set(err, errlen, SL_ERR_ARG,
                      "gen: --%s applies to the Redset kinds (serverless, provisioned), not to --kind product-events", flag);
}

/* Options that span each other; 0 or 1 (printed). */
static int check_opts(const gen_product_opts *go, const product_cli *pc, const gen_cli *gc, int argc, char **argv) {
    const char *nested = "nested JSON does not fit CSV or Parquet here";
    if (pc->format != GEN_FMT_AUTO && gen_cli_format(pc->format, NULL) != GEN_FMT_JSONL)
        return sl_err_report(1, "gen: --kind product-events writes JSON Lines only (--format jsonl), not '%s': %s",
                    sl_opt_peek(k_product_tables, argc, argv, "format"), nested);
    int by_ext = pc->format == GEN_FMT_AUTO && gc->out ? gen_cli_format(GEN_FMT_AUTO, gc->out) : GEN_FMT_JSONL;
    if (by_ext == GEN_FMT_PARQUET || by_ext == GEN_FMT_CSV)
        return sl_err_report(1, "gen: --kind product-events writes JSON Lines only, not %s: %s (use FILE.jsonl)",
                    gen_cli_ext(gc->out) + 1, nested);
    if (gc->files > 1 && !gc->out) return sl_err_report(1, "gen: --files needs --out FILE");
    if (go->end_us <= go->start_us) return sl_err_report(1, "--end must be after --start");
    return 0;
}

int gen_product_cli(int argc, char **argv) {
    gen_product_opts go = gen_product_opts_default();
    product_cli pc;
    gen_cli gc;
    char err[SL_ERRLEN] = "";
    sl_opt_cmd cmd = k_product_cmd;
    cmd.objs = (void *const[]){&go, &pc, &gc, &pc};
    cmd.after = after_flag;
    int r = sl_opt_cmd_parse(&cmd, argc, argv, err, sizeof err);
    if (r == SL_OPT_HELP) {
        sl_buf b;
        sl_buf_init(&b);
        sl_opt_cmd_help(&cmd, &b);
        fputs(sl_buf_cstr(&b), stdout);
        sl_buf_free(&b);
        return 0;
    }
    if (r != SL_OK) return sl_err_report(1, "%s", err);
    if (check_opts(&go, &pc, &gc, argc, argv)) return 1;
    const char *out = gc.out, *summary = gc.summary;
    uint64_t files = (uint64_t)gc.files, batch_rows = pc.batch_rows;
    bool quiet = gc.quiet;

    gen_product *g = NULL;
    sl_err e = gen_product_open(&g, &go, err, sizeof err);
    if (e) return sl_err_report(e == SL_ERR_ARG ? 1 : 2, "gen: %s", err);
    sl_buf buf;
    sl_buf_init(&buf);
    int rc = 0;
    double t0 = sl_now_mono();
    sl_progress pg;
    sl_progress_init(&pg, sl_progress_mode_for(2, quiet), (double)gc.progress_every_us / 1e6, t0);
    uint64_t planned = gen_product_planned_rows(g), per_file = (planned + files - 1) / files;
    sl_progress_sample(&pg, t0, 0);
    char *path = NULL;
    for (uint64_t k = 0; k < files && !rc; k++) {
        free(path);
        path = NULL;
        FILE *f = stdout;
        if (out) {
            path = files > 1 ? gen_cli_part_name(out, k) : strdup(out);
            if (!path) {
                rc = sl_err_report(2, "out of memory");
                break;
            }
            f = fopen(path, "wb");
            if (!f) {
                rc = sl_err_report(2, "%s: %s", path, strerror(errno));
                break;
            }
        }
        const char *what = path ? path : "stdout";
        uint64_t in_file = 0;
        for (;;) {
            size_t want = (size_t)batch_rows;
            if (k + 1 < files && per_file - in_file < want) want = (size_t)(per_file - in_file);
            if (want == 0) break;
            long n = gen_product_next(g, &buf, want, err, sizeof err);
            if (n < 0) {
                rc = sl_err_report(2, "gen: %s", err);
                break;
            }
            if (n == 0) break;
            if (fwrite(buf.p, 1, buf.len, f) != buf.len) {
                rc = sl_err_report(2, "%s: %s", what, strerror(errno));
                break;
            }
            buf.len = 0;
            in_file += (uint64_t)n;
            double now = sl_now_mono();
            uint64_t done = gen_product_get_counts(g)->rows_out; /* lines, duplicates included: planned counts them */
            sl_progress_sample(&pg, now, done);
            if (sl_progress_due(&pg, now)) gen_cli_progress(&pg, now, t0, done, planned);
        }
        if (f != stdout) {
            if (fclose(f) != 0 && !rc) rc = sl_err_report(2, "%s: %s", what, strerror(errno));
        } else if (fflush(f) != 0 && !rc) {
            rc = sl_err_report(2, "stdout: %s", strerror(errno));
        }
    }
    free(path);
    if (!rc && sl_progress_final(&pg, gen_product_get_counts(g)->rows_out)) /* a log's last line: where it ended */
        gen_cli_progress(&pg, sl_now_mono(), t0, gen_product_get_counts(g)->rows_out, planned);
    sl_progress_end(&pg, stderr);
    if (!rc) {
        const gen_product_counts *c = gen_product_get_counts(g);
        sl_buf js;
        sl_buf_init(&js);
        gen_product_counts_json(g, &js);
        sl_buf_putc(&js, '\n');
        if (summary && gen_cli_summary(summary, &js, err, sizeof err) != SL_OK) rc = sl_err_report(2, "%s", err);
        if (!quiet) {
            double dt = sl_now_mono() - t0;
            fprintf(stderr,
                    "sluice gen: %" PRIu64 " product events (%" PRIu64 " base + %" PRIu64 " duplicates) in %.2f s "
                    "(%.2f M/s); track %" PRIu64 ", page %" PRIu64 ", identify %" PRIu64 "; %" PRIu64
                    " event names, %" PRIu64 " users, %" PRIu64 " anonymous ids; late %" PRIu64 ", bad %" PRIu64 "\n",
                    c->rows_out, c->base_rows, c->duplicates, dt, dt > 0 ? (double)c->rows_out / dt / 1e6 : 0.0,
                    c->types[0], c->types[1], c->types[2], c->event_names_used, c->users, c->anonymous_ids,
                    c->late_held, c->bad_total);
            if (!summary && (c->bad_total || c->late_held || c->duplicates)) {
                fputs("sluice gen: summary ", stderr);
                fwrite(js.p, 1, js.len, stderr);
            }
        }
        sl_buf_free(&js);
    }
    sl_buf_free(&buf);
    gen_product_close(g);
    return rc;
}
