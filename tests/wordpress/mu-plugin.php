<?php
/**
 * Plugin Name: unpress test site
 * Description: Installed by tests/wordpress/start.sh. Lets Application Passwords work over plain
 *              http on 127.0.0.1, and keeps the throwaway site from trying to send mail.
 */

// Application Passwords are only "supported" over https or with WP_ENVIRONMENT_TYPE=local;
// the test site is plain http, so switch them on explicitly.
add_filter( 'wp_is_application_passwords_available', '__return_true' );
add_filter( 'wp_is_application_passwords_available_for_user', '__return_true' );

// No mail server here: never try to send (wp_install() mails the admin).
add_filter( 'pre_wp_mail', '__return_false' );

