<?php
/**
 * WordPress-side half of tests/wordpress/start.sh (there is no wp-cli in Debian).
 *
 *   php setup.php install URL            wp_install() + site options (timezone, permalinks, theme)
 *   php setup.php seed URL MARKER        users, terms, media, posts, pages, comments; then
 *                                        option unpress_seed = MARKER (start.sh checks it)
 *   php setup.php app-password URL       prints a fresh Application Password for "admin"
 *
 * The site's config is /etc/wordpress/config-127.0.0.1.php (written by start.sh); Debian's
 * wp-config.php picks it from the Host header, so HTTP_HOST is set before loading WordPress.
 *
 * Everything here is deterministic: fixed dates (Asia/Tokyo), fixed image pixels, fixed order, so
 * a fresh install always has the same IDs, slugs, files and counts.
 */

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}
error_reporting( E_ALL & ~E_DEPRECATED & ~E_STRICT & ~E_NOTICE );

$cmd = $argv[1] ?? '';
$url = rtrim( $argv[2] ?? '', '/' );
if ( ! in_array( $cmd, array( 'install', 'seed', 'app-password' ), true ) || ! preg_match( '#^http://127\.0\.0\.1:(\d+)$#', $url, $m ) ) {
	fwrite( STDERR, "usage: php setup.php install|seed|app-password http://127.0.0.1:PORT [MARKER]\n" );
	exit( 2 );
}

$_SERVER['HTTP_HOST']       = '127.0.0.1:' . $m[1];
$_SERVER['SERVER_NAME']     = '127.0.0.1';
$_SERVER['SERVER_PORT']     = $m[1];
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';

if ( 'install' === $cmd ) {
	define( 'WP_INSTALLING', true );
}
require '/usr/share/wordpress/wp-load.php';

function fail( $msg ) {
	fwrite( STDERR, "setup.php: $msg\n" );
	exit( 1 );
}

function must( $value, $what ) {
	if ( is_wp_error( $value ) ) {
		fail( "$what: " . $value->get_error_message() );
	}
	if ( ! $value ) {
		fail( "$what failed" );
	}
	return $value;
}

/* ------------------------------------------------------------------------------------------ */

if ( 'install' === $cmd ) {
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	if ( is_blog_installed() ) {
		fail( 'WordPress is already installed in this database (start.sh should have emptied it)' );
	}
	$r = wp_install( 'Unpress テストサイト', 'admin', 'admin@example.com', true, '', 'unpress-admin', 'en_US' );
	if ( empty( $r['user_id'] ) ) {
		fail( 'wp_install() did not create the admin user' );
	}

	update_option( 'siteurl', $url );
	update_option( 'home', $url );
	update_option( 'blogdescription', 'unpress の統合テスト用サイト' );
	update_option( 'timezone_string', 'Asia/Tokyo' );
	update_option( 'gmt_offset', '' );
	update_option( 'date_format', 'Y年n月j日' );
	update_option( 'posts_per_page', 10 );
	update_option( 'uploads_use_yearmonth_folders', 1 );
	update_option( 'default_pingback_flag', 0 );
	update_option( 'default_ping_status', 'closed' );
	update_option( 'ping_sites', '' );
	if ( wp_get_theme( 'twentytwentythree' )->exists() ) {
		switch_theme( 'twentytwentythree' );
	}

	global $wp_rewrite;
	$wp_rewrite->set_permalink_structure( '/%postname%/' );
	// Soft flush: store the rules in the database only. A hard flush would try to write
	// /usr/share/wordpress/.htaccess, which Debian symlinks to /etc/wordpress/htaccess;
	// the rewrite rules live in the Apache config that start.sh writes instead.
	flush_rewrite_rules( false );

	// wp_install_defaults() content: "Hello world!", its comment, "Sample Page", "Privacy Policy".
	// Remove it so the counts below are exactly what seed creates.
	foreach ( get_posts( array( 'post_type' => 'any', 'post_status' => 'any', 'numberposts' => -1, 'fields' => 'ids' ) ) as $id ) {
		wp_delete_post( $id, true );
	}
	foreach ( get_comments( array( 'fields' => 'ids' ) ) as $id ) {
		wp_delete_comment( $id, true );
	}
	update_option( 'wp_page_for_privacy_policy', 0 );
	wp_update_term( 1, 'category', array( 'name' => '未分類', 'slug' => 'uncategorized' ) );
	wp_update_user( array( 'ID' => 1, 'display_name' => 'Unpress Admin', 'nickname' => 'Unpress Admin', 'first_name' => 'Unpress', 'last_name' => 'Admin' ) );
	echo "installed\n";
	exit( 0 );
}

/* ------------------------------------------------------------------------------------------ */

if ( 'app-password' === $cmd ) {
	$user = get_user_by( 'login', 'admin' ) ?: fail( 'no admin user' );
	if ( ! wp_is_application_passwords_available_for_user( $user ) ) {
		fail( 'Application Passwords are not available (is the mu-plugin installed?)' );
	}
	foreach ( WP_Application_Passwords::get_user_application_passwords( $user->ID ) as $item ) {
		if ( 'unpress-tests' === $item['name'] ) {
			WP_Application_Passwords::delete_application_password( $user->ID, $item['uuid'] );
		}
	}
	$r = must( WP_Application_Passwords::create_new_application_password( $user->ID, array( 'name' => 'unpress-tests' ) ), 'create_new_application_password' );
	echo $r[0], "\n";
	exit( 0 );
}

/* ------------------------------------------------------------------------------------------ */
/* seed                                                                                       */

$marker = $argv[3] ?? fail( 'seed needs a marker' );
if ( ! is_blog_installed() ) {
	fail( 'WordPress is not installed' );
}
if ( get_posts( array( 'post_type' => 'any', 'post_status' => 'any', 'numberposts' => 1 ) ) ) {
	fail( 'the site already has content; seed only runs on a fresh install' );
}
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/file.php';
require_once ABSPATH . 'wp-admin/includes/media.php';
require_once ABSPATH . 'wp-admin/includes/post.php';

wp_set_current_user( 1 );
kses_remove_filters(); // store block markup exactly as the editor would (admin has unfiltered_html)
wp_defer_term_counting( true );

/* ---- users ---- */

$users = array( 'admin' => 1 );
foreach ( array(
	array( 'hanako', '山田', '花子', '山田 花子', 'editor', '東京在住の編集者。写真と旅行の記事を担当しています。' ),
	array( 'taro', 'Sato', 'Taro', 'Taro Sato', 'author', 'Writes about software, lists and tables.' ),
) as list( $login, $last, $first, $display, $role, $bio ) ) {
	$users[ $login ] = must( wp_insert_user( array(
		'user_login'    => $login,
		'user_pass'     => "unpress-$login",
		'user_email'    => "$login@example.com",
		'user_nicename' => $login,
		'first_name'    => $first,
		'last_name'     => $last,
		'nickname'      => $display,
		'display_name'  => $display,
		'description'   => $bio,
		'role'          => $role,
		'user_registered' => '2024-01-01 00:00:00',
	) ), "user $login" );
}

/* ---- terms ---- */

function term( $name, $tax, $slug = '', $parent = 0, $description = '' ) {
	$args = array( 'parent' => $parent, 'description' => $description );
	if ( '' !== $slug ) {
		$args['slug'] = $slug;
	}
	$r = must( wp_insert_term( $name, $tax, $args ), "term $name" );
	return (int) $r['term_id'];
}

$cat = array(
	'uncategorized' => 1,
	'news'          => term( 'ニュース', 'category', 'news', 0, 'サイトからのお知らせ' ),
	'technology'    => term( 'Technology', 'category', 'technology', 0, 'Software and the web' ),
);
$cat['photo']  = term( '写真', 'category', 'photo', $cat['technology'], 'Photography (a child of Technology)' );
$cat['travel'] = term( '旅行', 'category' ); // Japanese slug: WordPress stores it percent-encoded

$tag = array(
	'wordpress' => term( 'WordPress', 'post_tag', 'wordpress' ),
	'rust'      => term( 'Rust', 'post_tag', 'rust' ),
	'tokyo'     => term( '東京', 'post_tag' ), // Japanese slug
	'photo'     => term( '写真', 'post_tag', 'photo-tag' ),
	'test'      => term( 'テスト', 'post_tag' ), // Japanese slug
	'unused'    => term( 'Unused tag', 'post_tag', 'unused-tag' ),
);

/* ---- media: images drawn with GD, deterministic pixels ---- */

function draw_image( $path, $w, $h, $seed, $label, $type ) {
	mt_srand( $seed );
	$im = imagecreatetruecolor( $w, $h );
	$a  = array( mt_rand( 0, 255 ), mt_rand( 0, 255 ), mt_rand( 0, 255 ) );
	$b  = array( mt_rand( 0, 255 ), mt_rand( 0, 255 ), mt_rand( 0, 255 ) );
	for ( $y = 0; $y < $h; $y += 4 ) {
		$t = $y / $h;
		$c = imagecolorallocate( $im, (int) ( $a[0] + ( $b[0] - $a[0] ) * $t ), (int) ( $a[1] + ( $b[1] - $a[1] ) * $t ), (int) ( $a[2] + ( $b[2] - $a[2] ) * $t ) );
		imagefilledrectangle( $im, 0, $y, $w - 1, $y + 3, $c );
	}
	for ( $i = 0; $i < 14; $i++ ) {
		$c = imagecolorallocatealpha( $im, mt_rand( 0, 255 ), mt_rand( 0, 255 ), mt_rand( 0, 255 ), mt_rand( 30, 90 ) );
		$r = mt_rand( (int) ( $h / 10 ), (int) ( $h / 3 ) );
		imagefilledellipse( $im, mt_rand( 0, $w ), mt_rand( 0, $h ), $r, $r, $c );
	}
	// The label, drawn with the built-in font and scaled up to about half the width.
	$fw = imagefontwidth( 5 ) * strlen( $label );
	$fh = imagefontheight( 5 );
	$t  = imagecreatetruecolor( $fw + 6, $fh + 6 );
	imagefill( $t, 0, 0, imagecolorallocate( $t, 0, 0, 0 ) );
	imagestring( $t, 5, 3, 3, $label, imagecolorallocate( $t, 255, 255, 255 ) );
	$scale = max( 1, (int) ( $w / 2 / ( $fw + 6 ) ) );
	imagecopyresized( $im, $t, (int) ( $w / 20 ), (int) ( $h / 20 ), 0, 0, ( $fw + 6 ) * $scale, ( $fh + 6 ) * $scale, $fw + 6, $fh + 6 );
	imagedestroy( $t );
	$ok = 'png' === $type ? imagepng( $im, $path, 6 ) : imagejpeg( $im, $path, 82 );
	imagedestroy( $im );
	$ok || fail( "could not write $path" );
}

function add_image( $file, $w, $h, $seed, $title, $alt, $caption, $description, $date, $author ) {
	$type = strtolower( pathinfo( $file, PATHINFO_EXTENSION ) );
	$up   = wp_upload_dir( substr( $date, 0, 4 ) . '/' . substr( $date, 5, 2 ) );
	if ( ! empty( $up['error'] ) ) {
		fail( 'uploads: ' . $up['error'] );
	}
	$name = wp_unique_filename( $up['path'], sanitize_file_name( $file ) );
	$path = $up['path'] . '/' . $name;
	$label = trim( strtoupper( preg_replace( "/[^a-z0-9]+/i", " ", pathinfo( $file, PATHINFO_FILENAME ) ) ) );
	$label = "" === $label ? "IMAGE $seed" : $label;
	draw_image( $path, $w, $h, $seed, $label, $type );
	$id = must( wp_insert_attachment( array(
		'post_mime_type' => 'png' === $type ? 'image/png' : 'image/jpeg',
		'post_title'     => $title,
		'post_excerpt'   => $caption,
		'post_content'   => $description,
		'post_status'    => 'inherit',
		'post_author'    => $author,
		'post_date'      => $date,
	), $path, 0, true ), "attachment $file" );
	$meta = wp_generate_attachment_metadata( $id, $path );
	if ( empty( $meta['sizes'] ) ) {
		fail( "no intermediate sizes generated for $file (GD missing?)" );
	}
	wp_update_attachment_metadata( $id, $meta );
	update_post_meta( $id, '_wp_attachment_image_alt', $alt );
	return $id;
}

$img = array();
$img['mountain'] = add_image( 'mountain.jpg', 1600, 1000, 11, 'Mountain at dawn', 'A mountain ridge at dawn', 'Dawn over the ridge', 'Generated test image.', '2024-01-04 08:00:00', 1 );
$img['sea']      = add_image( 'sea.jpg', 1600, 1000, 12, 'Sea', 'A calm blue sea', '', '', '2024-01-19 08:00:00', $users['taro'] );
$img['night']    = add_image( 'tokyo-night.jpg', 1600, 1000, 13, '東京の夜景', '東京の夜景', '新宿から見た夜景', '高層ビルの夜景（テスト画像）', '2024-01-19 09:00:00', $users['hanako'] );
$img['sakura']   = add_image( '桜の写真.jpg', 1600, 1000, 14, '桜', '満開の桜', '上野公園の桜', '', '2024-01-11 12:00:00', $users['hanako'] );
$img['city']     = add_image( 'city-street.jpg', 1600, 1000, 15, 'City street', 'A busy city street', 'Evening traffic', '', '2024-01-19 10:00:00', $users['taro'] );
$img['diagram']  = add_image( 'diagram.png', 1200, 800, 16, 'Diagram', 'Architecture diagram: reader, model, writer', '', '', '2024-02-28 10:00:00', 1 );
$img['panorama'] = add_image( 'panorama.jpg', 3200, 2000, 17, 'Panorama', 'A very wide panorama', 'Wider than 2560 px: WordPress keeps the original and serves a -scaled copy', '', '2024-01-31 10:00:00', 1 );
$img['loose']    = add_image( 'unattached.jpg', 800, 600, 18, 'Unattached image', '', '', '', '2024-03-01 10:00:00', 1 );

/* ---- block markup helpers (what the block editor of WordPress 6.1 saves) ---- */

function p( $html, $attrs = '' ) {
	return "<!-- wp:paragraph$attrs -->\n<p>$html</p>\n<!-- /wp:paragraph -->";
}
function h( $text, $level = 2 ) {
	$a = 2 === $level ? '' : ' {"level":' . $level . '}';
	return "<!-- wp:heading$a -->\n<h$level>$text</h$level>\n<!-- /wp:heading -->";
}
function items( $items ) {
	$out = '';
	foreach ( $items as $i ) {
		if ( is_array( $i ) ) { // array( text, children, ordered? )
			$out .= "<!-- wp:list-item -->\n<li>{$i[0]}" . lst( $i[1], ! empty( $i[2] ) ) . "</li>\n<!-- /wp:list-item -->";
		} else {
			$out .= "<!-- wp:list-item -->\n<li>$i</li>\n<!-- /wp:list-item -->";
		}
	}
	return $out;
}
function lst( $items, $ordered = false, $start = 0 ) {
	$attrs = array();
	if ( $ordered ) {
		$attrs['ordered'] = true;
	}
	if ( $start ) {
		$attrs['start'] = $start;
	}
	$a   = $attrs ? ' ' . wp_json_encode( $attrs ) : '';
	$tag = $ordered ? 'ol' : 'ul';
	$st  = $start ? " start=\"$start\"" : '';
	return "<!-- wp:list$a -->\n<$tag$st>" . items( $items ) . "</$tag>\n<!-- /wp:list -->";
}
function sep() {
	return "<!-- wp:separator -->\n<hr class=\"wp-block-separator has-alpha-channel-opacity\"/>\n<!-- /wp:separator -->";
}
function code( $text ) {
	return "<!-- wp:code -->\n<pre class=\"wp-block-code\"><code>" . esc_html( $text ) . "</code></pre>\n<!-- /wp:code -->";
}
function quote( $paras, $cite = '' ) {
	$inner = implode( "\n\n", array_map( 'p', $paras ) );
	$c     = '' === $cite ? '' : "<cite>$cite</cite>";
	return "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\">$inner$c</blockquote>\n<!-- /wp:quote -->";
}
function html( $html ) {
	return "<!-- wp:html -->\n$html\n<!-- /wp:html -->";
}
/** An image block as the editor saves it: no srcset in the stored HTML, WordPress adds it on output. */
function image( $id, $size = 'large', $caption = '', $link = false, $align = '' ) {
	list( $src ) = wp_get_attachment_image_src( $id, $size );
	$alt   = esc_attr( get_post_meta( $id, '_wp_attachment_image_alt', true ) );
	$attrs = array( 'id' => $id, 'sizeSlug' => $size, 'linkDestination' => $link ? 'media' : 'none' );
	if ( $align ) {
		$attrs = array( 'align' => $align ) + $attrs;
	}
	$tag = "<img src=\"$src\" alt=\"$alt\" class=\"wp-image-$id\"/>";
	if ( $link ) {
		$tag = '<a href="' . wp_get_attachment_url( $id ) . "\">$tag</a>";
	}
	$cap = '' === $caption ? '' : "<figcaption class=\"wp-element-caption\">$caption</figcaption>";
	$cls = 'wp-block-image' . ( $align ? " align$align" : '' ) . " size-$size";
	return '<!-- wp:image ' . wp_json_encode( $attrs, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) . " -->\n<figure class=\"$cls\">$tag$cap</figure>\n<!-- /wp:image -->";
}
/** An image block whose stored HTML already carries srcset/sizes (wp_get_attachment_image()). */
function image_srcset( $id, $size = 'large', $caption = '' ) {
	$tag = wp_get_attachment_image( $id, $size, false, array( 'class' => "wp-image-$id" ) );
	$cap = '' === $caption ? '' : "<figcaption class=\"wp-element-caption\">$caption</figcaption>";
	return '<!-- wp:image ' . wp_json_encode( array( 'id' => $id, 'sizeSlug' => $size, 'linkDestination' => 'none' ) ) . " -->\n<figure class=\"wp-block-image size-$size\">$tag$cap</figure>\n<!-- /wp:image -->";
}
function gallery( $ids ) {
	$inner = implode( "\n\n", array_map( function ( $id ) { return image( $id, 'large' ); }, $ids ) );
	return "<!-- wp:gallery {\"linkTo\":\"none\"} -->\n<figure class=\"wp-block-gallery has-nested-images columns-default is-cropped\">$inner</figure>\n<!-- /wp:gallery -->";
}
function blocks( ...$b ) {
	return implode( "\n\n", $b );
}

/* ---- posts and pages ---- */

$attach = array(); // attachment id => parent post id (the first post showing it)

function add_post( $args, $cats = array(), $tags = array(), $thumb = 0 ) {
	global $attach;
	$args += array( 'post_type' => 'post', 'post_status' => 'publish', 'comment_status' => 'open', 'ping_status' => 'closed' );
	if ( $cats ) {
		$args['post_category'] = $cats;
	}
	$id = must( wp_insert_post( wp_slash( $args ), true ), 'post ' . $args['post_title'] );
	if ( $tags ) {
		must( ! is_wp_error( wp_set_object_terms( $id, $tags, 'post_tag' ) ), 'tags for ' . $args['post_title'] );
	}
	if ( $thumb ) {
		must( set_post_thumbnail( $id, $thumb ), 'featured image for ' . $args['post_title'] );
	}
	if ( preg_match_all( '/wp-image-(\d+)/', $args['post_content'], $mm ) ) {
		foreach ( $mm[1] as $a ) {
			$attach += array( (int) $a => $id );
		}
	}
	if ( $thumb ) {
		$attach += array( $thumb => $id );
	}
	return $id;
}

$posts = array();

$posts['hello'] = add_post( array(
	'post_title'   => 'Hello from unpress',
	'post_name'    => 'hello-unpress',
	'post_author'  => 1,
	'post_date'    => '2024-01-05 09:00:00',
	'post_content' => blocks(
		p( 'This site exists so that <strong>unpress</strong> can be tested against a real <a href="https://wordpress.org/">WordPress</a> over the REST API. It has <em>posts</em>, pages, media, categories and tags.' ),
		h( 'What is here' ),
		lst( array( 'Twelve published posts, three pages', 'Images with thumbnails and <code>srcset</code>', array( 'Posts that are not public:', array( 'a private post', 'a draft', 'a password-protected post', 'a scheduled post' ) ) ) ),
		image( $img['mountain'], 'large', 'Dawn over the ridge' ),
		h( 'Why', 3 ),
		p( 'Because fixtures drift, and a live site does not lie about what it sends. Ampersands &amp; angle brackets &lt;like this&gt; must survive.' )
	),
), array( $cat['technology'] ), array( $tag['wordpress'], $tag['rust'] ), $img['mountain'] );

$posts['japanese'] = add_post( array(
	'post_title'   => '日本語の記事',
	'post_name'    => '日本語のスラッグ',
	'post_author'  => $users['hanako'],
	'post_date'    => '2024-01-12 10:30:00',
	'post_content' => blocks(
		p( 'こんにちは。これは<strong>日本語</strong>で書かれたテスト記事です。句読点、全角の「かぎ括弧」、そして<a href="https://ja.wikipedia.org/wiki/%E6%9D%B1%E4%BA%AC">リンク</a>を含みます。' ),
		h( '持ち物リスト' ),
		p( '・パスポート' ),
		p( '・財布' ),
		p( '・充電器' ),
		p( '・カメラ<br>・予備のバッテリー<br>・メモリーカード' ),
		h( '桜の季節', 3 ),
		image_srcset( $img['sakura'], 'large', '上野公園の桜' ),
		p( '※ 写真はテスト用に生成した画像です。' ),
		p( '●注意事項<br>●開園時間は季節によって異なります<br>●ゴミは持ち帰りましょう' )
	),
), array( $cat['news'] ), array( $tag['tokyo'], $tag['test'] ), $img['sakura'] );

$posts['gallery'] = add_post( array(
	'post_title'   => 'Photo gallery',
	'post_name'    => 'photo-gallery',
	'post_author'  => $users['taro'],
	'post_date'    => '2024-01-20 18:00:00',
	'post_content' => blocks(
		p( 'Four images in a gallery block (nested image blocks, as WordPress 6.1 saves them).' ),
		gallery( array( $img['mountain'], $img['sea'], $img['night'], $img['city'] ) ),
		p( 'And one image linked to its full-size file:' ),
		image( $img['sea'], 'medium', 'A calm blue sea', true )
	),
), array( $cat['photo'] ), array( $tag['photo'] ), $img['sea'] );

$posts['panorama'] = add_post( array(
	'post_title'   => 'A very large panorama',
	'post_name'    => 'large-panorama',
	'post_author'  => 1,
	'post_date'    => '2024-02-01 12:00:00',
	'post_content' => blocks(
		p( 'The original is 3200×2000 pixels. WordPress scales anything wider than 2560 px down to a <code>-scaled</code> copy, keeps the original as <code>original_image</code>, and generates the usual sizes.' ),
		image( $img['panorama'], 'full', 'Full size (the -scaled file)' ),
		image( $img['panorama'], 'large', '', false, 'wide' )
	),
), array( $cat['photo'] ), array( $tag['photo'] ), $img['panorama'] );

$posts['code'] = add_post( array(
	'post_title'   => 'Quotes and code',
	'post_name'    => 'quotes-and-code',
	'post_author'  => 1,
	'post_date'    => '2024-02-10 15:45:00',
	'post_content' => blocks(
		p( 'Inline <code>let x = 1;</code> and a block of Rust:' ),
		code( "fn main() {\n    let v: Vec<&str> = vec![\"a\", \"b\"];\n    if v.len() > 1 && v[0] < v[1] {\n        println!(\"{:?}\", v);\n    }\n}" ),
		quote( array( 'Simplicity is prerequisite for reliability.' ), 'Edsger W. Dijkstra' ),
		quote( array( '吾輩は猫である。名前はまだ無い。', 'どこで生れたかとんと見当がつかぬ。' ), '夏目漱石' ),
		"<!-- wp:preformatted -->\n<pre class=\"wp-block-preformatted\">Preformatted text\n    keeps   its   spacing.</pre>\n<!-- /wp:preformatted -->"
	),
), array( $cat['technology'] ), array( $tag['rust'] ) );

$posts['table'] = add_post( array(
	'post_title'   => '表のある記事',
	'post_name'    => 'table-post',
	'post_author'  => $users['hanako'],
	'post_date'    => '2024-02-15 11:00:00',
	'post_content' => blocks(
		p( '料金表は以下のとおりです。' ),
		"<!-- wp:table -->\n<figure class=\"wp-block-table\"><table><thead><tr><th>プラン</th><th>月額</th><th>備考</th></tr></thead><tbody><tr><td>ベーシック</td><td>1,000円</td><td>個人向け</td></tr><tr><td>プロ</td><td>5,000円</td><td><strong>人気</strong></td></tr><tr><td>Enterprise</td><td>要相談</td><td>—</td></tr></tbody></table><figcaption class=\"wp-element-caption\">2024年の料金</figcaption></figure>\n<!-- /wp:table -->",
		p( '※価格はすべて税込です。' )
	),
), array( $cat['news'] ), array( $tag['test'] ) );

$posts['lists'] = add_post( array(
	'post_title'   => 'Lists of every kind',
	'post_name'    => 'lists',
	'post_author'  => $users['taro'],
	'post_date'    => '2024-02-20 08:15:00',
	'post_content' => blocks(
		h( 'Unordered, nested' ),
		lst( array( 'one', array( 'two', array( 'two-a', 'two-b' ) ), 'three' ) ),
		h( 'Ordered, starting at 3' ),
		lst( array( 'third', 'fourth', array( 'fifth', array( 'fifth-i', 'fifth-ii' ), true ) ), true, 3 ),
		h( 'Pseudo-lists in paragraphs' ),
		p( '・りんご<br>・みかん<br>・ぶどう' ),
		p( '■ 第一項目' ),
		p( '■ 第二項目' ),
		p( '1. Not a real list, just a paragraph starting with a number.' )
	),
), array( $cat['technology'] ), array() );

$posts['embeds'] = add_post( array(
	'post_title'   => 'Embeds and diagrams',
	'post_name'    => 'embeds',
	'post_author'  => 1,
	'post_date'    => '2024-03-01 20:00:00',
	'post_content' => blocks(
		p( 'A YouTube embed (the site has no internet access, so WordPress leaves the bare URL in the wrapper):' ),
		"<!-- wp:embed {\"url\":\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\",\"type\":\"video\",\"providerNameSlug\":\"youtube\",\"responsive\":true,\"className\":\"wp-embed-aspect-16-9 wp-has-aspect-ratio\"} -->\n<figure class=\"wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube wp-embed-aspect-16-9 wp-has-aspect-ratio\"><div class=\"wp-block-embed__wrapper\">\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n</div></figure>\n<!-- /wp:embed -->",
		p( 'A PNG diagram, centred:' ),
		image( $img['diagram'], 'full', 'Reader → model → writer', false, 'center' )
	),
), array( $cat['technology'] ), array( $tag['wordpress'] ) );

$posts['details'] = add_post( array(
	'post_title'   => 'Details, separators and raw HTML',
	'post_name'    => 'details-and-html',
	'post_author'  => $users['hanako'],
	'post_date'    => '2024-03-05 13:00:00',
	'post_content' => blocks(
		p( 'Text before a separator.<sup><a href="#fn1" id="ref1">1</a></sup>' ),
		sep(),
		html( "<details><summary>詳細を表示</summary><p>折りたたまれた内容です。</p></details>" ),
		html( '<p><ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>とルビ。</p>' ),
		sep(),
		html( '<ol class="footnotes"><li id="fn1">A hand-written footnote. <a href="#ref1">↩</a></li></ol>' )
	),
), array( $cat['uncategorized'] ), array() );

$posts['notice'] = add_post( array(
	'post_title'   => 'お知らせ：サイトを公開しました',
	'post_name'    => 'notice',
	'post_author'  => 1,
	'post_date'    => '2024-03-10 09:00:00',
	'post_excerpt' => 'サイト公開のお知らせ（手書きの抜粋）。',
	'post_content' => blocks(
		p( 'このたびテストサイトを公開しました。' ),
		"<!-- wp:more -->\n<!--more-->\n<!-- /wp:more -->",
		p( '続きの本文です。この記事は先頭に固定（sticky）されています。' )
	),
), array( $cat['news'], $cat['uncategorized'] ), array( $tag['test'] ) );
stick_post( $posts['notice'] );

$posts['classic'] = add_post( array(
	'post_title'   => 'A classic-editor post',
	'post_name'    => 'classic-post',
	'post_author'  => $users['taro'],
	'post_date'    => '2024-03-15 17:30:00',
	'post_content' => "This post has no block markup: it was written in the classic editor, so paragraphs are blank-line separated and WordPress adds the &lt;p&gt; tags.\n\n"
		. "<h2>A heading</h2>\nA line\nbroken with a newline, with <strong>bold</strong> and <em>italic</em>.\n\n"
		. '[caption id="attachment_' . $img['city'] . '" align="aligncenter" width="300"]'
		. wp_get_attachment_image( $img['city'], 'medium', false, array( 'class' => 'size-medium wp-image-' . $img['city'] ) )
		. " Evening traffic[/caption]\n\n"
		. "・一つ目\n・二つ目\n・三つ目\n\n"
		. "<ul>\n<li>A real list item</li>\n<li>Another one</li>\n</ul>\n"
		. "<blockquote>A classic blockquote.</blockquote>\n\nThe end.",
), array( $cat['technology'] ), array( $tag['wordpress'] ), $img['city'] );

$posts['tokyo'] = add_post( array(
	'post_title'   => '東京の写真',
	// no post_name: WordPress derives a percent-encoded slug from the Japanese title
	'post_author'  => $users['hanako'],
	'post_date'    => '2024-03-20 21:00:00',
	'post_content' => blocks(
		p( '夜の東京を歩きました。' ),
		image( $img['night'], 'medium', '新宿から見た夜景', false, 'right' ),
		p( '高層ビルの明かりがとてもきれいでした。次回は浅草にも行きたいと思います。' ),
		h( 'まとめ' ),
		p( '・夜景は二十時ごろがおすすめ<br>・三脚があると便利<br>・終電に注意' )
	),
), array( $cat['travel'], $cat['photo'] ), array( $tag['tokyo'], $tag['photo'] ), $img['night'] );

/* not public */
$posts['protected'] = add_post( array(
	'post_title'    => 'Members only',
	'post_name'     => 'members-only',
	'post_author'   => 1,
	'post_date'     => '2024-03-25 10:00:00',
	'post_password' => 'unpress',
	'post_content'  => p( 'This text is behind the post password <code>unpress</code>.' ),
), array( $cat['news'] ) );

$posts['private'] = add_post( array(
	'post_title'   => '非公開メモ',
	'post_name'    => 'private-notes',
	'post_author'  => 1,
	'post_status'  => 'private',
	'post_date'    => '2024-03-26 10:00:00',
	'post_content' => p( 'Only logged-in editors and the author can read this private post.' ),
), array( $cat['uncategorized'] ) );

$posts['draft'] = add_post( array(
	'post_title'   => 'Draft: not yet published',
	'post_name'    => 'draft-post',
	'post_author'  => $users['hanako'],
	'post_status'  => 'draft',
	'post_date'    => '2024-03-27 10:00:00',
	'edit_date'    => true,
	'post_content' => p( '下書きです。' ),
), array( $cat['news'] ) );

$posts['future'] = add_post( array(
	'post_title'   => 'Scheduled for 2099',
	'post_name'    => 'scheduled-post',
	'post_author'  => $users['taro'],
	'post_status'  => 'future',
	'post_date'    => '2099-01-01 09:00:00',
	'post_content' => p( 'This post is scheduled (status "future").' ),
), array( $cat['technology'] ) );

/* pages */
$pages = array();
$pages['about'] = add_post( array(
	'post_type'    => 'page',
	'post_title'   => 'About',
	'post_name'    => 'about',
	'post_author'  => 1,
	'post_date'    => '2024-01-01 09:00:00',
	'menu_order'   => 0,
	'comment_status' => 'closed',
	'post_content' => blocks(
		p( 'This is a test site for unpress.' ),
		image( $img['mountain'], 'medium' )
	),
), array(), array(), $img['mountain'] );
$pages['team'] = add_post( array(
	'post_type'    => 'page',
	'post_title'   => 'Team',
	'post_name'    => 'team',
	'post_parent'  => $pages['about'],
	'post_author'  => $users['hanako'],
	'post_date'    => '2024-01-02 09:00:00',
	'menu_order'   => 1,
	'comment_status' => 'closed',
	'post_content' => blocks(
		p( 'A child page of About.' ),
		lst( array( '山田 花子 — 編集', 'Taro Sato — author', 'Unpress Admin — administrator' ) )
	),
) );
$pages['contact'] = add_post( array(
	'post_type'    => 'page',
	'post_title'   => 'お問い合わせ',
	'post_author'  => 1,
	'post_date'    => '2024-01-03 09:00:00',
	'menu_order'   => 2,
	'comment_status' => 'closed',
	'post_content' => blocks(
		h( '連絡先' ),
		p( 'メール：<a href="mailto:info@example.com">info@example.com</a>' ),
		p( '・受付時間：平日 10:00〜18:00<br>・土日祝日は休業' )
	),
) );

/* attach each image to the first post that shows it (the "Uploaded to" column) */
foreach ( $attach as $a => $parent ) {
	if ( $a !== $img['loose'] ) {
		$GLOBALS['wpdb']->update( $GLOBALS['wpdb']->posts, array( 'post_parent' => $parent ), array( 'ID' => $a, 'post_type' => 'attachment' ) );
	}
}

/* comments */
$c1 = wp_insert_comment( array(
	'comment_post_ID'      => $posts['hello'],
	'comment_author'       => 'Visitor',
	'comment_author_email' => 'visitor@example.com',
	'comment_content'      => 'Nice test site!',
	'comment_date'         => '2024-01-06 12:00:00',
	'comment_approved'     => 1,
) );
wp_insert_comment( array(
	'comment_post_ID'      => $posts['hello'],
	'comment_parent'       => $c1,
	'user_id'              => $users['hanako'],
	'comment_author'       => '山田 花子',
	'comment_author_email' => 'hanako@example.com',
	'comment_content'      => 'ありがとうございます！',
	'comment_date'         => '2024-01-06 13:00:00',
	'comment_approved'     => 1,
) );

wp_defer_term_counting( false );

/* fixed "modified" dates, so the REST output does not depend on when the site was seeded */
global $wpdb;
foreach ( $wpdb->get_results( "SELECT ID, post_date FROM $wpdb->posts" ) as $row ) {
	$wpdb->update( $wpdb->posts, array( 'post_modified' => $row->post_date, 'post_modified_gmt' => get_gmt_from_date( $row->post_date ) ), array( 'ID' => $row->ID ) );
}
wp_cache_flush();

update_option( 'unpress_seed', $marker );

$counts = wp_count_posts( 'post' );
printf(
	"seeded: posts publish=%d (1 password-protected) private=%d draft=%d future=%d; pages=%d; media=%d; categories=%d; tags=%d; users=%d; comments=%d\n",
	$counts->publish, $counts->private, $counts->draft, $counts->future,
	wp_count_posts( 'page' )->publish,
	array_sum( (array) wp_count_attachments() ),
	wp_count_terms( array( 'taxonomy' => 'category', 'hide_empty' => false ) ),
	wp_count_terms( array( 'taxonomy' => 'post_tag', 'hide_empty' => false ) ),
	count_users()['total_users'],
	wp_count_comments()->approved
);
