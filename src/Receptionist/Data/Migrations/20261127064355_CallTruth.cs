using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class CallTruth : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "return_call_id",
                table: "forwarding_checks",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "bridged_at",
                table: "calls",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_seen_at",
                table: "calls",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "reconcile_at",
                table: "calls",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "reconcile_attempts",
                table: "calls",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Calls already in progress were last heard from when they came in.
            migrationBuilder.Sql("UPDATE calls SET last_seen_at = received_at WHERE last_seen_at IS NULL AND status <> 'Ended';");

            migrationBuilder.CreateIndex(
                name: "ix_forwarding_checks_return_call_id",
                table: "forwarding_checks",
                column: "return_call_id",
                unique: true,
                filter: "return_call_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_calls_in_progress",
                table: "calls",
                column: "received_at",
                filter: "status <> 'Ended'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_forwarding_checks_return_call_id",
                table: "forwarding_checks");

            migrationBuilder.DropIndex(
                name: "ix_calls_in_progress",
                table: "calls");

            migrationBuilder.DropColumn(
                name: "return_call_id",
                table: "forwarding_checks");

            migrationBuilder.DropColumn(
                name: "bridged_at",
                table: "calls");

            migrationBuilder.DropColumn(
                name: "last_seen_at",
                table: "calls");

            migrationBuilder.DropColumn(
                name: "reconcile_at",
                table: "calls");

            migrationBuilder.DropColumn(
                name: "reconcile_attempts",
                table: "calls");
        }
    }
}
